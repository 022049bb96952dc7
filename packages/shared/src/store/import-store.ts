import type { ChainableCommander, Redis } from 'ioredis';
import {
  FINAL_STATUSES,
  type ImportError,
  type ImportRecord,
  type ImportResult,
  type ImportStatus,
} from '../catalog/import-record.ts';
import type { NotifyState } from '../catalog/notify-target.ts';
import type { StoredImportRequest } from '../catalog/stored-import-request.ts';
import { importIdTime } from '../ids.ts';
import type { Fingerprint } from '../secrets/secret-box.ts';
import { claimIdempotencyKey, idempotencyKeyDigest } from './idempotency-keys.ts';
import { StoreKeys } from './keys.ts';
import { TRANSITION_SCRIPT } from './transition-script.ts';

export type TransitionOutcome =
  | { ok: true; previous: ImportStatus }
  | { ok: false; current: ImportStatus }
  | { ok: false; current: null };

/** See ImportStore.lostAttempts. */
export interface LostAttempts {
  /** BullMQ's stall count of the job when the last attempt started. */
  seenStalls: number;
  /** Parts the checkpoint held when the last attempt started; null: not known. */
  partsAtStart: number | null;
  /** Lost attempts in a row that moved no part. */
  idleLosses: number;
}

/** An import's lost-attempt tally, and how far its record says the last attempt got. */
export interface LostAttemptsRead extends LostAttempts {
  /** Bytes the last attempt streamed, as last written with its progress; null: not known. */
  attemptBytes: number | null;
}

export interface ListPage {
  items: ImportRecord[];
  nextCursor: string | null;
}

export interface IdempotencyClaim {
  /** The import this key belongs to: the new id when the claim was fresh. */
  importId: string;
  fresh: boolean;
  sameBody: boolean;
}

type StoreRedis = Redis & {
  ferryTransition(numberOfKeys: number, ...keysAndArgs: string[]): Promise<[number, string]>;
};

/**
 * Import records: the API's source of truth for status, progress, result and error. BullMQ jobs
 * carry the work; records outlive them (a canceled queued import has no job, but has a record).
 */
export class ImportStore {
  readonly keys: StoreKeys;
  readonly #redis: StoreRedis;
  readonly #now: () => Date;

  constructor(redis: Redis, queueName: string, now: () => Date = () => new Date()) {
    this.keys = new StoreKeys(queueName);
    if (!('ferryTransition' in redis)) {
      // Without numberOfKeys: each call passes its key count first, as EVALSHA takes it.
      redis.defineCommand('ferryTransition', { lua: TRANSITION_SCRIPT });
    }
    this.#redis = redis as StoreRedis;
    this.#now = now;
  }

  newRecord(id: string, tenant: string, request: StoredImportRequest): ImportRecord {
    const now = this.#now().toISOString();
    return {
      id,
      tenant,
      status: 'queued',
      request,
      createdAt: now,
      updatedAt: now,
      bytesDone: 0,
      bytesTotal: null,
      attempts: 0,
    };
  }

  /**
   * Queues the writes for new records on `pipeline`, so a batch costs one round trip: a hash each,
   * and one ZADD per index for all of them (a thousand ZADDs of one member cost the API and Redis
   * far more than one of a thousand). Each hash holds only what is the record's own: the id is in
   * the key, and updatedAt, progress and attempts read as createdAt, nothing and 0 until written
   * (see parseRecord); every field left out is Redis memory saved on each queued import. So is
   * createdAt when the id, a ULID made in the same millisecond (a submit's), already says it.
   */
  #addCreates(pipeline: ChainableCommander, records: readonly ImportRecord[], toFeed: boolean): void {
    const indexes = new Map<string, Array<number | string>>();
    const unfed = new Map<string, string[]>();
    const index = (key: string, score: number, id: string) => {
      const members = indexes.get(key);
      if (members) members.push(score, id);
      else indexes.set(key, [score, id]);
    };
    for (const record of records) {
      pipeline.hset(this.keys.record(record.id), {
        tenant: record.tenant,
        status: record.status,
        request: JSON.stringify(record.request),
        ...(importIdTime(record.id) === Date.parse(record.createdAt) ? {} : { createdAt: record.createdAt }),
        ...(record.jobId ? { jobId: record.jobId } : {}),
      });
      // In the same MULTI as the record: the job's open set never names an import that is not written.
      if (record.jobId) pipeline.sadd(this.keys.jobOpen(record.jobId), record.id);
      index(this.keys.tenantAll(record.tenant), 0, record.id);
      index(this.keys.tenantStatus(record.tenant, record.status), 0, record.id);
      if (toFeed) {
        const ids = unfed.get(record.tenant);
        if (ids) ids.push(record.id);
        else unfed.set(record.tenant, [record.id]);
      }
    }
    for (const [key, members] of indexes) pipeline.zadd(key, ...members);
    // In the same MULTI again: no crash can leave a record that nothing will ever queue.
    for (const [tenant, ids] of unfed) pipeline.rpush(this.keys.tenantUnfed(tenant), ...ids);
    if (unfed.size > 0) pipeline.sadd(this.keys.unfedTenants(), ...unfed.keys());
  }

  /** Writes records whose jobs the caller queues itself (the worker's test harness, benchmarks). */
  async createMany(records: ImportRecord[]): Promise<void> {
    const pipeline = this.#redis.multi();
    this.#addCreates(pipeline, records, false);
    await pipeline.exec();
  }

  /**
   * Writes records and lines them up for the feeder (QueueFeeder), which queues their jobs as the
   * window has room: the API's way in, for single submits, batches and jobs' windows alike.
   */
  async createToFeed(records: ImportRecord[]): Promise<void> {
    const pipeline = this.#redis.multi();
    this.#addCreates(pipeline, records, true);
    await pipeline.exec();
  }

  /**
   * Removes records whose submit failed, so no record claims work the client was told was refused.
   * Their unfed entries stay, naming no record: the feeder drops them when it reaches them.
   */
  async deleteMany(records: ImportRecord[]): Promise<void> {
    const pipeline = this.#redis.multi();
    for (const record of records) {
      pipeline.del(this.keys.record(record.id));
      pipeline.zrem(this.keys.tenantAll(record.tenant), record.id);
      pipeline.zrem(this.keys.tenantStatus(record.tenant, record.status), record.id);
      if (record.jobId) pipeline.srem(this.keys.jobOpen(record.jobId), record.id);
    }
    await pipeline.exec();
  }

  async get(id: string): Promise<ImportRecord | null> {
    const hash = await this.#redis.hgetall(this.keys.record(id));
    return parseRecord(id, hash);
  }

  /** Newest first. The cursor is the last id of the previous page. */
  async list(
    tenant: string,
    options: { status?: ImportStatus; cursor?: string; limit: number },
  ): Promise<ListPage> {
    const index = options.status
      ? this.keys.tenantStatus(tenant, options.status)
      : this.keys.tenantAll(tenant);
    const upper = options.cursor ? `(${options.cursor}` : '+';
    const ids = await this.#redis.zrevrangebylex(index, upper, '-', 'LIMIT', 0, options.limit + 1);
    const pageIds = ids.slice(0, options.limit);
    const pipeline = this.#redis.pipeline();
    for (const id of pageIds) pipeline.hgetall(this.keys.record(id));
    const replies = (await pipeline.exec()) ?? [];
    const items = replies
      .map(([, hash], i) => parseRecord(pageIds[i] ?? '', hash as Record<string, string>))
      .filter((r): r is ImportRecord => r !== null);
    return { items, nextCursor: ids.length > options.limit ? (pageIds.at(-1) ?? null) : null };
  }

  /** Moves the import to `to` from one of `from`; `alsoDelete` names keys that go in the same step. */
  async transition(
    id: string,
    to: ImportStatus,
    from: readonly ImportStatus[],
    fields: Record<string, string> = {},
    alsoDelete: readonly string[] = [],
  ): Promise<TransitionOutcome> {
    const now = this.#now();
    // A final status is announced (see TRANSITION_SCRIPT): the event's time goes along.
    const eventAtMs = FINAL_STATUSES.includes(to) ? String(now.getTime()) : '';
    const args = [this.keys.prefix, id, to, from.join(','), now.toISOString(), eventAtMs];
    for (const [name, value] of Object.entries(fields)) args.push(name, value);
    const keys = [this.keys.record(id), ...alsoDelete];
    const [status, previous] = await this.#redis.ferryTransition(keys.length, ...keys, ...args);
    if (status === 1) return { ok: true, previous: previous as ImportStatus };
    return { ok: false, current: status === 0 ? (previous as ImportStatus) : null };
  }

  markRunning(id: string, attempts: number): Promise<TransitionOutcome> {
    return this.transition(id, 'running', ['queued', 'running'], { attempts: String(attempts) });
  }

  /**
   * `alsoDelete`: the worker's checkpoint, so the record turns final and the checkpoint goes in one
   * step. Apart, a crash between them would leave either a final record with a checkpoint behind, or
   * a running record whose next attempt has lost what tells it the object is already complete.
   */
  markCompleted(
    id: string,
    result: ImportResult,
    alsoDelete: readonly string[] = [],
  ): Promise<TransitionOutcome> {
    return this.transition(
      id,
      'completed',
      ['running'],
      {
        result: JSON.stringify(result),
        bytesDone: String(result.size),
        bytesTotal: String(result.size),
        error: '',
      },
      alsoDelete,
    );
  }

  markFailed(id: string, error: ImportError): Promise<TransitionOutcome> {
    return this.transition(id, 'failed', ['queued', 'running'], { error: JSON.stringify(error) });
  }

  /** A failed attempt that will be retried: back in the queue, with the last error visible. */
  markRetrying(id: string, error: ImportError): Promise<TransitionOutcome> {
    return this.transition(id, 'queued', ['running'], { error: JSON.stringify(error) });
  }

  markCanceled(id: string): Promise<TransitionOutcome> {
    return this.transition(id, 'canceled', ['queued', 'running']);
  }

  /** The worker's tally of the attempts of this import that lost their worker (jobs/lost-workers.ts). */
  async lostAttempts(id: string): Promise<LostAttemptsRead> {
    const [seen, parts, idle, attemptBytes] = await this.#redis.hmget(
      this.keys.record(id),
      'lostSeenStalls',
      'lostPartsAtStart',
      'lostIdle',
      'attemptBytes',
    );
    const known = (value: string | null | undefined) =>
      value === null || value === undefined || value === '' ? null : Number(value);
    return {
      seenStalls: Number(seen ?? 0),
      partsAtStart: known(parts),
      idleLosses: Number(idle ?? 0),
      attemptBytes: known(attemptBytes),
    };
  }

  /** Keeps the tally at an attempt's start; the attempt has streamed nothing yet. */
  async setLostAttempts(id: string, tally: LostAttempts): Promise<void> {
    await this.#redis.hset(this.keys.record(id), {
      lostSeenStalls: String(tally.seenStalls),
      lostPartsAtStart: tally.partsAtStart === null ? '' : String(tally.partsAtStart),
      lostIdle: String(tally.idleLosses),
      attemptBytes: '0',
    });
  }

  /** `attemptBytes`: what this attempt streamed so far (a resumed import's bytesDone starts higher). */
  async setProgress(
    id: string,
    bytesDone: number,
    bytesTotal: number | null,
    attemptBytes: number,
  ): Promise<void> {
    await this.#redis.hset(this.keys.record(id), {
      bytesDone: String(bytesDone),
      bytesTotal: bytesTotal === null ? '' : String(bytesTotal),
      attemptBytes: String(attemptBytes),
    });
  }

  async status(id: string): Promise<ImportStatus | null> {
    return (await this.#redis.hget(this.keys.record(id), 'status')) as ImportStatus | null;
  }

  /**
   * Claims an Idempotency-Key of a tenant's import submits (see claimIdempotencyKey in
   * idempotency-keys.ts; the body's fingerprint is of stableStringify(body)).
   */
  async claimIdempotencyKey(
    tenant: string,
    key: string,
    candidateId: string,
    body: Fingerprint,
  ): Promise<IdempotencyClaim> {
    const redisKey = this.keys.idempotency(tenant, idempotencyKeyDigest(key));
    const { id, fresh, sameBody } = await claimIdempotencyKey(this.#redis, redisKey, candidateId, body);
    return { importId: id, fresh, sameBody };
  }

  async releaseIdempotencyKey(tenant: string, key: string): Promise<void> {
    await this.#redis.del(this.keys.idempotency(tenant, idempotencyKeyDigest(key)));
  }
}

/** JSON with sorted object keys, so the same body in another key order has the same digest. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Records written before #addCreates left out the id and the initial values still hold them; the id
 * field is ignored (the key names the record) and the rest read the same either way.
 */
function parseRecord(id: string, hash: Record<string, string> | null | undefined): ImportRecord | null {
  if (!hash?.status || !hash.tenant || !hash.request) return null;
  const idTime = importIdTime(id);
  const createdAt = hash.createdAt ?? (Number.isNaN(idTime) ? '' : new Date(idTime).toISOString());
  const record: ImportRecord = {
    id,
    tenant: hash.tenant,
    status: hash.status as ImportStatus,
    request: JSON.parse(hash.request) as StoredImportRequest,
    createdAt,
    updatedAt: hash.updatedAt || createdAt,
    bytesDone: Number(hash.bytesDone ?? 0),
    bytesTotal: hash.bytesTotal ? Number(hash.bytesTotal) : null,
    attempts: Number(hash.attempts ?? 0),
  };
  if (hash.result) record.result = JSON.parse(hash.result) as ImportResult;
  if (hash.error) record.error = JSON.parse(hash.error) as ImportError;
  if (hash.notify) record.notify = JSON.parse(hash.notify) as NotifyState;
  if (hash.jobId) record.jobId = hash.jobId;
  return record;
}
