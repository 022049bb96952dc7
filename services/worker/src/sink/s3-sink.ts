import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ErrorCode, type Failpoints, type Logger } from '@ferry/shared';
import { abortable } from '../async/abortable.ts';
import { permanentError, transientError } from '../errors/transfer-error.ts';
import type { ServerSideCopySource } from '../sources/source.ts';
import {
  type ChecksumModeSetting,
  chooseProfile,
  configuredProfile,
  type EndpointCapabilities,
  type SinkProfile,
} from './checksum-mode.ts';
import { type CompletedUpload, findCompletedUpload, headObject, multipartEtag } from './completed-object.ts';
import { type CopyRange, copyPart } from './copy-part.ts';
import { crc32Base64 } from './crc32-base64.ts';
import { s3ErrorName, s3Status, toDestinationError } from './destination-error.ts';
import { classifyListPartsFailure, type ListPartsFailure, listParts } from './list-parts.ts';
import type { ProbeCache } from './probe-cache.ts';
import { probeEndpoint } from './probe-endpoint.ts';
import { removeProbeLeftovers } from './probe-leftovers.ts';
import type { ObjectHead, ObjectTarget, StoredPart, UploadRef } from './sink-types.ts';
import { type PartPayload, uploadPart } from './upload-part.ts';
import { type UploadsOfKey, uploadsOfKey } from './uploads-of-key.ts';

export interface S3SinkOptions {
  mode: ChecksumModeSetting;
  /** S3_ENDPOINT; unset means AWS itself. */
  endpoint: string | undefined;
  logger: Logger;
  /** The fleet's earlier probe of the endpoint (auto mode), so a new worker need not probe again. */
  probeCache?: ProbeCache;
  /** FERRY_FAILPOINTS: the probe's (probe.after-create). */
  failpoints?: Failpoints;
}

export type ListPartsAnswer =
  | { kind: 'listed'; parts: StoredPart[] }
  | { kind: ListPartsFailure; error: unknown };

/** What a completed object must be: its size, and the checksums known for it. */
export interface ExpectedObject {
  size: number;
  /** The whole object's CRC-32, when every part's is known. */
  crc32: number | null;
  /** Every part's ETag in order, for the multipart ETag S3 derives from them (multipart objects). */
  partEtags: readonly string[] | null;
}

/** Which writes refuse, with If-None-Match: *, to replace an object that exists. */
export interface ConditionalWrites {
  put: boolean;
  complete: boolean;
}

/** A conditional write (If-None-Match: *) found the key taken: nothing was written. */
export const KEY_EXISTS = 'key-exists';

/** How far S3's clock and this host's may disagree on when an upload began. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Every S3 call the transfer engine makes, and what S3's answers mean: the destination side of an
 * import. How parts are made sure of follows the endpoint's profile (S3_CHECKSUM_MODE; `auto`
 * probes the endpoint once, on the first bucket asked about, and logs what it chose and why).
 * Failures are TransferErrors with destination codes; a part whose source side failed rejects with
 * SourceReadFailed.
 */
export class S3Sink {
  readonly #s3: S3Client;
  readonly #options: S3SinkOptions;
  #profile: Promise<SinkProfile> | null = null;

  constructor(s3: S3Client, options: S3SinkOptions) {
    this.#s3 = s3;
    this.#options = options;
  }

  /**
   * How this endpoint is written to. Probed once (auto) and kept; a probe that failed for now
   * (S3 unreachable, 5xx) is tried again by the next caller. The probe is not the caller's to
   * cancel (other imports may be waiting on it): `signal` only stops this caller's wait.
   */
  profile(bucket: string, signal: AbortSignal): Promise<SinkProfile> {
    return abortable(this.#profileOf(bucket), signal);
  }

  #resolveProfile(bucket: string): Promise<SinkProfile> {
    const { mode, endpoint, logger } = this.#options;
    const resolving =
      mode === 'auto'
        ? this.#capabilities(bucket).then(chooseProfile)
        : Promise.resolve(configuredProfile(mode, endpoint === undefined));
    return resolving.then(
      (profile) => {
        logger.info(
          { checksumMode: profile.mode, reason: profile.reason, capabilities: profile.capabilities },
          'S3 checksum mode',
        );
        return profile;
      },
      (error: unknown) => {
        this.#profile = null;
        throw error;
      },
    );
  }

  async #capabilities(bucket: string): Promise<EndpointCapabilities> {
    const { probeCache, endpoint = 'aws', logger } = this.#options;
    const probe = () => probeEndpoint(this.#s3, bucket, logger, this.#options.failpoints);
    if (!probeCache) return probe();
    return probeCache.probeOnce(endpoint, bucket, probe, () =>
      removeProbeLeftovers(this.#s3, bucket, logger),
    );
  }

  /** For calls that must not be cut off halfway (creating, completing): the profile, unabortable. */
  #profileOf(bucket: string): Promise<SinkProfile> {
    this.#profile ??= this.#resolveProfile(bucket);
    return this.#profile;
  }

  /**
   * Which writes this endpoint makes conditional on the key being free, as the probe found (auto);
   * for a mode the operator set, AWS's own (both) or, elsewhere, none: unprobed, nothing is assumed.
   */
  async conditionalWrites(bucket: string, signal: AbortSignal): Promise<ConditionalWrites> {
    const { capabilities } = await this.profile(bucket, signal);
    if (!capabilities) {
      const aws = this.#options.endpoint === undefined;
      return { put: aws, complete: aws };
    }
    return { put: capabilities.conditionalWrites, complete: capabilities.conditionalCompletes };
  }

  /** Not abortable: once S3 has made the upload, the caller must record it so cleanup can find it. */
  async createUpload(target: ObjectTarget, metadata: Record<string, string>): Promise<string> {
    const profile = await this.#profileOf(target.bucket);
    const created = await this.#s3
      .send(
        new CreateMultipartUploadCommand({
          Bucket: target.bucket,
          Key: target.key,
          // S3 then checks the whole object's CRC-32 we send on completion, not only each part's.
          ...(profile.crc32Checksums ? { ChecksumAlgorithm: 'CRC32', ChecksumType: 'FULL_OBJECT' } : {}),
          Metadata: metadata,
        }),
      )
      .catch((error: unknown) => {
        throw toDestinationError(error, 'CreateMultipartUpload');
      });
    if (!created.UploadId) throw transientError(ErrorCode.DESTINATION_ERROR, 'S3 returned no UploadId');
    return created.UploadId;
  }

  /** One try at one part streamed from the source; see uploadPart for how each mode checks it. */
  async uploadPart(
    upload: UploadRef,
    partNumber: number,
    payload: PartPayload,
    signal: AbortSignal,
  ): Promise<StoredPart> {
    const profile = await this.profile(upload.bucket, signal);
    return uploadPart(this.#s3, profile, upload, partNumber, payload, signal);
  }

  copyPart(
    upload: UploadRef,
    source: ServerSideCopySource,
    range: CopyRange,
    ifMatch: string | null,
    signal: AbortSignal,
  ): Promise<StoredPart> {
    return copyPart(this.#s3, upload, source, range, ifMatch, signal);
  }

  /**
   * The parts S3 holds for the upload, or why it cannot say: the upload is gone, the endpoint has no
   * ListParts, or it failed this time. Throws only when `signal` aborts.
   */
  async listParts(upload: UploadRef, signal: AbortSignal, pageSize?: number): Promise<ListPartsAnswer> {
    const profile = await this.profile(upload.bucket, signal);
    try {
      return { kind: 'listed', parts: await listParts(this.#s3, upload, signal, pageSize) };
    } catch (error) {
      if (signal.aborted) throw error;
      return { kind: classifyListPartsFailure(error, profile.capabilities?.listParts ?? null), error };
    }
  }

  /**
   * Completes the upload from `parts`, in order, with the object's CRC-32 where the endpoint keeps
   * checksums (S3 then refuses a completion whose bytes are not that). The object's ETag is what
   * confirmStored reads afterwards: answers to Complete differ (Ceph RGW 16 sends an empty ETag, and
   * an unquoted one to a repeated Complete). With `ifNoneMatch` S3 completes only while the key is
   * free, and answers KEY_EXISTS otherwise (the upload stays open: the caller aborts it).
   */
  async complete(
    upload: UploadRef,
    parts: readonly StoredPart[],
    expected: ExpectedObject,
    ifNoneMatch = false,
  ): Promise<'completed' | typeof KEY_EXISTS> {
    const profile = await this.#profileOf(upload.bucket);
    const checksums = profile.crc32Checksums;
    try {
      await this.#s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: upload.bucket,
          Key: upload.key,
          UploadId: upload.uploadId,
          ...(ifNoneMatch ? { IfNoneMatch: '*' } : {}),
          ...(checksums && expected.crc32 !== null
            ? { ChecksumCRC32: crc32Base64(expected.crc32), ChecksumType: 'FULL_OBJECT' as const }
            : {}),
          // S3 refuses to complete when the parts don't add up to this.
          MpuObjectSize: expected.size,
          MultipartUpload: {
            Parts: parts.map((part) => ({
              PartNumber: part.partNumber,
              ETag: part.etag,
              ...(checksums && part.crc32 !== null ? { ChecksumCRC32: crc32Base64(part.crc32) } : {}),
            })),
          },
        }),
      );
      return 'completed';
    } catch (error) {
      if (ifNoneMatch && s3Status(error) === 412) return KEY_EXISTS;
      throw toDestinationError(error, 'CompleteMultipartUpload');
    }
  }

  /** See findCompletedUpload: the ETag of an object an earlier attempt completed, or null. */
  findCompleted(upload: CompletedUpload, signal: AbortSignal): Promise<string | null> {
    return findCompletedUpload(this.#s3, upload, signal);
  }

  /**
   * Aborts an upload so its parts stop costing storage. Failing is logged, not thrown: the bucket's
   * lifecycle rule for incomplete uploads is the backstop.
   */
  async abortQuietly(upload: UploadRef, logger: Logger = this.#options.logger): Promise<void> {
    try {
      await this.#s3.send(
        new AbortMultipartUploadCommand({
          Bucket: upload.bucket,
          Key: upload.key,
          UploadId: upload.uploadId,
        }),
      );
    } catch (error) {
      if (s3ErrorName(error) === 'NoSuchUpload') return;
      logger.warn({ err: error, uploadId: upload.uploadId }, 'could not abort multipart upload');
    }
  }

  /**
   * Aborts the uploads of `target` begun since `sinceMs` (less a clock skew's worth): those an
   * attempt made and died before recording, which nothing else would ever abort. Answers how many,
   * or 'unsupported' where the server cannot list uploads; then the bucket's
   * AbortIncompleteMultipartUpload lifecycle rule is what removes them.
   */
  async abortUnrecordedUploads(
    target: ObjectTarget,
    sinceMs: number,
    logger: Logger = this.#options.logger,
  ): Promise<number | 'unsupported'> {
    let listed: UploadsOfKey;
    try {
      listed = await uploadsOfKey(this.#s3, target);
    } catch (error) {
      logger.warn({ err: error }, 'could not list multipart uploads to abort one an earlier attempt left');
      return 0;
    }
    if (listed.kind === 'unsupported') return 'unsupported';
    const left = listed.uploads.filter((upload) => upload.initiatedMs >= sinceMs - CLOCK_SKEW_MS);
    for (const upload of left) await this.abortQuietly(upload, logger);
    return left.length;
  }

  head(target: ObjectTarget, signal?: AbortSignal): Promise<ObjectHead | null> {
    return headObject(this.#s3, target, signal);
  }

  /**
   * An empty object (no multipart upload can have zero parts). Answers its ETag; with
   * `ifNoneMatch`, KEY_EXISTS when the key was taken and nothing was written.
   */
  async putEmpty(
    target: ObjectTarget,
    metadata: Record<string, string>,
    ifNoneMatch = false,
  ): Promise<{ etag: string } | typeof KEY_EXISTS> {
    try {
      const put = await this.#s3.send(
        new PutObjectCommand({
          Bucket: target.bucket,
          Key: target.key,
          Body: Buffer.alloc(0),
          ContentLength: 0,
          Metadata: metadata,
          ...(ifNoneMatch ? { IfNoneMatch: '*' } : {}),
        }),
      );
      return { etag: put.ETag ?? '' };
    } catch (error) {
      if (ifNoneMatch && s3Status(error) === 412) return KEY_EXISTS;
      throw toDestinationError(error, 'PutObject');
    }
  }

  /**
   * Checks what S3 holds after completing: the size, the full-object CRC-32 where S3 keeps one, and
   * (in `etag` mode, where the parts' MD5s were checked) the multipart ETag those parts make. An
   * object that is not what was sent is deleted, so no wrong object stays behind, and the import
   * fails with SIZE_MISMATCH or CHECKSUM_MISMATCH.
   */
  async confirmStored(target: ObjectTarget, expected: ExpectedObject): Promise<ObjectHead> {
    const profile = await this.#profileOf(target.bucket);
    const head = await this.head(target);
    const problem = storedProblem(head, expected, profile);
    if (!problem) return head as ObjectHead;
    await this.#s3
      .send(new DeleteObjectCommand({ Bucket: target.bucket, Key: target.key }))
      .catch((error: unknown) => {
        this.#options.logger.error(
          { err: error, ...target },
          'could not delete the object that failed its check',
        );
      });
    throw permanentError(problem.code, `${problem.message}; the object was deleted`);
  }
}

function storedProblem(
  head: ObjectHead | null,
  expected: ExpectedObject,
  profile: SinkProfile,
): { code: ErrorCode; message: string } | null {
  if (head?.size !== expected.size) {
    return {
      code: ErrorCode.SIZE_MISMATCH,
      message: `S3 holds ${head?.size ?? 'no'} bytes where ${expected.size} were sent`,
    };
  }
  if (head.fullObjectCrc32 !== null && expected.crc32 !== null && head.fullObjectCrc32 !== expected.crc32) {
    return {
      code: ErrorCode.CHECKSUM_MISMATCH,
      message: 'S3 holds an object whose CRC-32 is not that of the bytes sent',
    };
  }
  if (profile.mode === 'etag' && expected.partEtags) {
    const wanted = multipartEtag(expected.partEtags);
    if (wanted !== null && head.etag !== wanted) {
      return {
        code: ErrorCode.CHECKSUM_MISMATCH,
        message: `S3 holds an object with the ETag ${head.etag} where its parts make ${wanted}`,
      };
    }
  }
  return null;
}
