import type { Redis, StoreKeys } from '@ferry/shared';
import type { StoredPart } from '../sink/sink-types.ts';
import type { PartDigests } from './digest-checks.ts';

/** What a multipart upload in progress is for: a resumed attempt must match all of it. */
export interface CheckpointHeader {
  uploadId: string;
  bucket: string;
  key: string;
  /** The source version (ETag or Last-Modified) the parts were read from. */
  version: string;
  size: number;
  partSize: number;
}

/**
 * A part S3 holds and the checkpoint records, with the whole-file digests' states after it when
 * digests are checked (see DigestChecks).
 */
export interface FinishedPart extends StoredPart, PartDigests {}

export interface Checkpoint extends CheckpointHeader {
  parts: Map<number, FinishedPart>;
}

/** An upload an attempt was about to create: until begin() names it, S3 may hold it unrecorded. */
export interface AnnouncedUpload {
  bucket: string;
  key: string;
  /** When the attempt asked S3 for it (ms since the epoch). */
  sinceMs: number;
}

/** Long enough to outlive every retry of a job; short enough that abandoned checkpoints go away. */
const CHECKPOINT_TTL_S = 7 * 24 * 3600;
const PART_FIELD = 'part:';

/**
 * Applies a reconciliation only to the upload it was computed for: a checkpoint begun anew (or
 * deleted) meanwhile is left alone. KEYS[1] checkpoint; ARGV: uploadId, ttl, count of parts to drop,
 * their numbers, then field/value pairs of the parts to adopt.
 */
const RECONCILE_SCRIPT = `
if redis.call('HGET', KEYS[1], 'uploadId') ~= ARGV[1] then return 0 end
local drops = tonumber(ARGV[3])
for i = 4, 3 + drops do redis.call('HDEL', KEYS[1], ARGV[i]) end
for i = 4 + drops, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
`;

/**
 * Progress of one import's multipart upload, kept in Redis so that a retry, or another worker after
 * a crash or drain, continues the same upload and fetches only the parts that are missing. A hash
 * per import: the header fields, plus one field per finished part written before the part counts as
 * done.
 */
export class CheckpointStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #onWrite: () => void;

  /** `onWrite` hears of every write that changed a checkpoint (the worker's metrics). */
  constructor(redis: Redis, keys: StoreKeys, onWrite: () => void = () => {}) {
    this.#redis = redis;
    this.#prefix = keys.prefix;
    this.#onWrite = onWrite;
  }

  key(importId: string): string {
    return `${this.#prefix}checkpoint:${importId}`;
  }

  async load(importId: string): Promise<Checkpoint | null> {
    const hash = await this.#redis.hgetall(this.key(importId));
    const { uploadId, bucket, key, version } = hash;
    const size = Number(hash.size);
    const partSize = Number(hash.partSize);
    if (!uploadId || !bucket || !key || !version || !Number.isSafeInteger(size) || !(partSize > 0)) {
      return null;
    }
    const parts = new Map<number, FinishedPart>();
    for (const [field, value] of Object.entries(hash)) {
      if (!field.startsWith(PART_FIELD)) continue;
      const part = JSON.parse(value) as FinishedPart;
      parts.set(part.partNumber, part);
    }
    return { uploadId, bucket, key, version, size, partSize, parts };
  }

  /**
   * Written before CreateMultipartUpload, replacing whatever was there: a process that dies after S3
   * made the upload and before begin() recorded it leaves this, so the next attempt can find the
   * upload and abort it (see S3Sink.abortUnrecordedUploads) instead of leaving it open for good.
   */
  async announceUpload(importId: string, upload: AnnouncedUpload): Promise<void> {
    const key = this.key(importId);
    await this.#redis
      .multi()
      .del(key)
      .hset(key, {
        announcedBucket: upload.bucket,
        announcedKey: upload.key,
        announcedAt: String(upload.sinceMs),
      })
      .expire(key, CHECKPOINT_TTL_S)
      .exec();
    this.#onWrite();
  }

  /** The upload announced and never begun, if an attempt died in between. */
  async announcedUpload(importId: string): Promise<AnnouncedUpload | null> {
    const [uploadId, bucket, key, at] = await this.#redis.hmget(
      this.key(importId),
      'uploadId',
      'announcedBucket',
      'announcedKey',
      'announcedAt',
    );
    if (uploadId || !bucket || !key || !at) return null;
    return { bucket, key, sinceMs: Number(at) };
  }

  /** Starts a fresh checkpoint for a new upload, dropping whatever was there. */
  async begin(importId: string, header: CheckpointHeader): Promise<void> {
    const key = this.key(importId);
    await this.#redis
      .multi()
      .del(key)
      .hset(key, {
        uploadId: header.uploadId,
        bucket: header.bucket,
        key: header.key,
        version: header.version,
        size: String(header.size),
        partSize: String(header.partSize),
      })
      .expire(key, CHECKPOINT_TTL_S)
      .exec();
    this.#onWrite();
  }

  async recordPart(importId: string, part: FinishedPart): Promise<void> {
    const key = this.key(importId);
    await this.#redis
      .multi()
      .hset(key, `${PART_FIELD}${part.partNumber}`, JSON.stringify(part))
      .expire(key, CHECKPOINT_TTL_S)
      .exec();
    this.#onWrite();
  }

  /**
   * Brings the checkpoint of upload `uploadId` in line with what S3 holds: forgets the parts in
   * `drop`, records (or replaces) the ones in `adopt`. False when the checkpoint no longer names that
   * upload, in which case nothing changed.
   */
  async reconcile(
    importId: string,
    uploadId: string,
    changes: { drop: number[]; adopt: FinishedPart[] },
  ): Promise<boolean> {
    const args = [uploadId, String(CHECKPOINT_TTL_S), String(changes.drop.length)];
    for (const partNumber of changes.drop) args.push(`${PART_FIELD}${partNumber}`);
    for (const part of changes.adopt) args.push(`${PART_FIELD}${part.partNumber}`, JSON.stringify(part));
    const applied = (await this.#redis.eval(RECONCILE_SCRIPT, 1, this.key(importId), ...args)) === 1;
    if (applied) this.#onWrite();
    return applied;
  }

  /** How many parts the checkpoint records (0 without one). */
  async partCount(importId: string): Promise<number> {
    const fields = await this.#redis.hkeys(this.key(importId));
    return fields.filter((field) => field.startsWith(PART_FIELD)).length;
  }

  async delete(importId: string): Promise<void> {
    await this.#redis.del(this.key(importId));
  }
}
