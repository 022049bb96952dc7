import type { Readable } from 'node:stream';
import type { BufferLease } from '../bytes/memory-budget.ts';
import type { PartStream } from '../bytes/part-stream.ts';
import type { StatedDigest } from '../transfer/whole-file-digest.ts';

export interface SourceMetadata {
  /** Bytes in the object, or null when the source does not say (a chunked response). */
  size: number | null;
  /** A validator pinning this version of the object (strong ETag or Last-Modified), or null. */
  version: string | null;
  /** Whether the source serves byte ranges. */
  ranges: boolean;
  /** The whole object's CRC-32 as the source states it, when it does: checked before completing. */
  crc32?: number;
  /**
   * The provider's own digest of the whole file (Dropbox's content_hash, Drive's md5Checksum): the
   * bytes read are hashed as they stream and must match it before the upload completes.
   */
  digest?: StatedDigest;
  /** Where the object is, safe to record on the imported object (no query string, no secrets). */
  location?: string;
}

/** An object S3 itself can copy from: parts move with UploadPartCopy, no bytes through the worker. */
export interface ServerSideCopySource {
  bucket: string;
  key: string;
  versionId?: string;
}

/**
 * Where an import reads from: HTTP, Dropbox, Google Drive and S3 adapters behind the same calls.
 * Metadata says what the file is (size, version, ranges, the provider's digest); reads are ranged
 * and pinned to that version; `digest` says how the whole file is verified.
 */
export interface Source {
  metadata(signal: AbortSignal): Promise<SourceMetadata>;
  /**
   * Bytes start..end (inclusive) of exactly the version `expected` describes. Answers that are not
   * that range of that version fail (SOURCE_CHANGED, or a retryable error for a garbled answer).
   * `buffers` is the part's share of the worker's memory budget: a source that reads into buffers of
   * its own choosing takes them from there and answers with a PartStream; others answer a Readable.
   */
  readRange(
    start: number,
    end: number,
    expected: SourceMetadata,
    signal: AbortSignal,
    buffers: BufferLease,
  ): Promise<Readable | PartStream>;
  /** The whole object as one stream, for sources without ranges or a known size. */
  readAll(signal: AbortSignal): Promise<{ body: Readable; size: number | null }>;
  /** Present when the destination's S3 can copy the parts itself. */
  readonly serverSideCopy?: ServerSideCopySource;
}

/** Sources the multipart engine can read part by part: known size, ranges, and a version to pin. */
export function supportsRangedReads(metadata: SourceMetadata): metadata is SourceMetadata & {
  size: number;
  version: string;
} {
  return metadata.size !== null && metadata.ranges && metadata.version !== null;
}
