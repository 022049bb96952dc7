/** S3_CHECKSUM_MODE: how each part's integrity is made sure of. `auto` probes the endpoint. */
export const CHECKSUM_MODES = ['auto', 'trailer', 'signed', 'header', 'etag'] as const;
export type ChecksumModeSetting = (typeof CHECKSUM_MODES)[number];
export type ChecksumMode = Exclude<ChecksumModeSetting, 'auto'>;

/** What the endpoint was found to do with a probe upload (see probeEndpoint). */
export interface EndpointCapabilities {
  /** CreateMultipartUpload takes ChecksumAlgorithm CRC32 (and FULL_OBJECT). */
  crc32Uploads: boolean;
  /** An aws-chunked part with a CRC-32 trailer is stored as its payload, not its framing. */
  decodesTrailer: boolean;
  /** ... and a trailer that does not match the bytes is refused. */
  verifiesTrailer: boolean;
  /**
   * An aws-chunked part signed chunk by chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) is stored as its
   * payload, and one whose chunk signatures do not chain from the request's is refused.
   */
  verifiesChunkSignatures: boolean;
  /** A part's ETag is the hex MD5 of its bytes. */
  md5Etags: boolean;
  /** A Content-MD5 that does not match the bytes is refused. */
  verifiesContentMd5: boolean;
  /** An x-amz-checksum-crc32 header that does not match the bytes is refused. */
  verifiesCrc32Header: boolean;
  /** ListParts answers with the upload's parts. */
  listParts: boolean;
  /** PutObject with If-None-Match: * is refused when the key exists. */
  conditionalWrites: boolean;
  /** CompleteMultipartUpload with If-None-Match: * is refused when the key exists. */
  conditionalCompletes: boolean;
}

/**
 * How this worker writes to its S3 endpoint. Every mode refuses or detects a corrupted part before
 * completing: `trailer` by the server verifying the aws-chunked CRC-32 trailer; `signed` by the
 * server verifying each chunk's SigV4 signature (which covers the chunk's SHA-256); `header` by the
 * server verifying checksums sent before the body (the part is buffered whole to compute them);
 * `etag` by comparing the part's MD5, computed while it streams, with the ETag the server returns.
 */
export interface SinkProfile {
  mode: ChecksumMode;
  /**
   * Uploads are created with ChecksumAlgorithm CRC32 / FULL_OBJECT and completed with the parts'
   * and the object's CRC-32, which the server then checks and keeps.
   */
  crc32Checksums: boolean;
  /** `header` mode also sends Content-MD5 (every server verifies it; most verify nothing else). */
  contentMd5: boolean;
  /** What the probe found, when there was one: null for a mode set by the operator. */
  capabilities: EndpointCapabilities | null;
  /** Why this mode, for the log line that reports it. */
  reason: string;
}

/**
 * The mode `auto` picks from what the endpoint showed: the trailer where the server really checks it
 * (AWS S3: nothing to hash beyond the CRC-32), else signed chunks where the server checks those
 * (Ceph RGW before 19: one SHA-256 pass, which CPUs with SHA extensions do at more than twice the
 * speed of MD5), else the ETag where ETags are MD5s (still streamed, one MD5 pass, checked by the
 * worker after the part is stored), else checksums sent up front.
 */
export function chooseProfile(capabilities: EndpointCapabilities): SinkProfile {
  const found = { capabilities };
  if (capabilities.crc32Uploads && capabilities.decodesTrailer && capabilities.verifiesTrailer) {
    return {
      ...found,
      mode: 'trailer',
      crc32Checksums: true,
      contentMd5: false,
      reason: 'the endpoint decodes aws-chunked bodies and verifies their CRC-32 trailer',
    };
  }
  const noTrailer = !capabilities.decodesTrailer
    ? 'the endpoint does not decode aws-chunked trailers'
    : 'the endpoint does not verify aws-chunked CRC-32 trailers';
  if (capabilities.verifiesChunkSignatures) {
    return {
      ...found,
      mode: 'signed',
      crc32Checksums: false,
      contentMd5: false,
      reason: `${noTrailer}; it verifies aws-chunked bodies signed chunk by chunk`,
    };
  }
  const noSigned = `${noTrailer} nor check signed chunks`;
  if (capabilities.md5Etags) {
    return {
      ...found,
      mode: 'etag',
      crc32Checksums: false,
      contentMd5: false,
      reason: `${noSigned}; its part ETags are the MD5s of their bytes`,
    };
  }
  const crc32Header = capabilities.crc32Uploads && capabilities.verifiesCrc32Header;
  const verified = [
    ...(capabilities.verifiesContentMd5 ? ['Content-MD5'] : []),
    ...(crc32Header ? ['x-amz-checksum-crc32'] : []),
  ];
  return {
    ...found,
    mode: 'header',
    crc32Checksums: crc32Header,
    contentMd5: capabilities.verifiesContentMd5 || !crc32Header,
    reason:
      verified.length > 0
        ? `${noSigned}, and its ETags are not MD5s; it verifies ${verified.join(' and ')} sent before the body`
        : `${noSigned}, its ETags are not MD5s and it verified no checksum sent with a part: parts carry Content-MD5 regardless`,
  };
}

/**
 * The profile of a mode the operator set, without probing: trusted as given. `header` sends
 * x-amz-checksum-crc32 only to AWS itself (S3_ENDPOINT unset), where uploads carry CRC-32s; other
 * servers get Content-MD5, which they all verify.
 */
export function configuredProfile(mode: ChecksumMode, endpointIsAws: boolean): SinkProfile {
  const crc32Checksums = mode === 'trailer' || (mode === 'header' && endpointIsAws);
  return {
    mode,
    crc32Checksums,
    contentMd5: mode === 'header',
    capabilities: null,
    reason: `S3_CHECKSUM_MODE=${mode}`,
  };
}
