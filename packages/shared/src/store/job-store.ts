import type { Redis } from 'ioredis';
import type { NotifyState } from '../catalog/notify-target.ts';
import type { ErrorCode } from '../errors.ts';
import {
  FINAL_JOB_STATUSES,
  type JobCounts,
  type JobRecord,
  type JobSpec,
  type JobStatus,
} from '../jobs/job-record.ts';
import type { Fingerprint } from '../secrets/secret-box.ts';
import { claimIdempotencyKey, idempotencyKeyDigest, type KeyClaim } from './idempotency-keys.ts';
import {
  ADVANCE_SCRIPT,
  JOB_TRANSITION_SCRIPT,
  RELEASE_LEASE_SCRIPT,
  RENEW_LEASE_SCRIPT,
} from './job-scripts.ts';
import { StoreKeys } from './keys.ts';

/** A row refused at expansion: no import was made for it; the report shows this. */
export interface RowError {
  code: ErrorCode;
  message: string;
}

/** One window's move of the cursor (see ADVANCE_SCRIPT). */
export interface CursorAdvance {
  fromOffset: number;
  toOffset: number;
  rows: number;
  /** The manifest's end was reached. */
  done: boolean;
  rowErrors: ReadonlyMap<number, RowError>;
}

export type JobTransitionOutcome =
  | { ok: true; previous: JobStatus }
  | { ok: false; current: JobStatus }
  | { ok: false; current: null };

type JobRedis = Redis & {
  ferryJobAdvance(...keysAndArgs: string[]): Promise<number>;
  ferryJobTransition(...keysAndArgs: string[]): Promise<[number, string]>;
  ferryJobReleaseLease(...keysAndArgs: string[]): Promise<number>;
  ferryJobRenewLease(...keysAndArgs: string[]): Promise<number>;
};

/**
 * Transfer jobs in Redis: a hash per job (spec, cursor, counters), its open imports, its refused
 * rows, a lease for the one expander that works on it at a time, and the active and per-tenant
 * indexes. The counters are moved by the imports' own final transitions (TRANSITION_SCRIPT).
 */
export class JobStore {
  readonly keys: StoreKeys;
  readonly #redis: JobRedis;
  readonly #now: () => Date;

  constructor(redis: Redis, queueName: string, now: () => Date = () => new Date()) {
    this.keys = new StoreKeys(queueName);
    if (!('ferryJobAdvance' in redis)) {
      redis.defineCommand('ferryJobAdvance', { numberOfKeys: 2, lua: ADVANCE_SCRIPT });
      redis.defineCommand('ferryJobTransition', { numberOfKeys: 1, lua: JOB_TRANSITION_SCRIPT });
      redis.defineCommand('ferryJobReleaseLease', { numberOfKeys: 1, lua: RELEASE_LEASE_SCRIPT });
      redis.defineCommand('ferryJobRenewLease', { numberOfKeys: 1, lua: RENEW_LEASE_SCRIPT });
    }
    this.#redis = redis as JobRedis;
    this.#now = now;
  }

  /** `rowsTotal`: known at once for a manifest counted as it streamed in; else once expansion ends. */
  async create(id: string, tenant: string, spec: JobSpec, rowsTotal: number | null = null): Promise<void> {
    const now = this.#now();
    await this.#redis
      .multi()
      .hset(this.keys.job(id), {
        id,
        tenant,
        status: 'running',
        spec: JSON.stringify(spec),
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
        cursorOffset: String(spec.dataOffset),
        rowsExpanded: '0',
        expansionDone: '0',
        filesDone: '0',
        filesFailed: '0',
        filesSkipped: '0',
        bytesDone: '0',
        bytesFailed: '0',
        bytesSkipped: '0',
        ...(rowsTotal === null ? {} : { rowsTotal: String(rowsTotal) }),
      })
      .zadd(this.keys.jobsActive(), now.getTime(), id)
      .zadd(this.keys.tenantJobs(tenant), 0, id)
      .exec();
  }

  async status(id: string): Promise<JobStatus | null> {
    return (await this.#redis.hget(this.keys.job(id), 'status')) as JobStatus | null;
  }

  /**
   * Claims an Idempotency-Key of a tenant's job creates for `candidateId` (see claimIdempotencyKey):
   * the fingerprint is of the request, an uploaded manifest's bytes included.
   */
  claimIdempotencyKey(
    tenant: string,
    key: string,
    candidateId: string,
    request: Fingerprint,
  ): Promise<KeyClaim> {
    const redisKey = this.keys.jobIdempotency(tenant, idempotencyKeyDigest(key));
    return claimIdempotencyKey(this.#redis, redisKey, candidateId, request);
  }

  async releaseIdempotencyKey(tenant: string, key: string): Promise<void> {
    await this.#redis.del(this.keys.jobIdempotency(tenant, idempotencyKeyDigest(key)));
  }

  async get(id: string): Promise<JobRecord | null> {
    return parseJob(await this.#redis.hgetall(this.keys.job(id)));
  }

  /** Newest first; the cursor is the last id of the previous page. */
  async list(
    tenant: string,
    options: { cursor?: string; limit: number },
  ): Promise<{ items: JobRecord[]; nextCursor: string | null }> {
    const upper = options.cursor ? `(${options.cursor}` : '+';
    const ids = await this.#redis.zrevrangebylex(
      this.keys.tenantJobs(tenant),
      upper,
      '-',
      'LIMIT',
      0,
      options.limit + 1,
    );
    const pageIds = ids.slice(0, options.limit);
    const pipeline = this.#redis.pipeline();
    for (const id of pageIds) pipeline.hgetall(this.keys.job(id));
    const items = ((await pipeline.exec()) ?? [])
      .map(([, hash]) => parseJob(hash as Record<string, string>))
      .filter((job): job is JobRecord => job !== null);
    return { items, nextCursor: ids.length > options.limit ? (pageIds.at(-1) ?? null) : null };
  }

  /** Up to `limit` jobs not yet final, oldest first. */
  active(limit: number): Promise<string[]> {
    return this.#redis.zrange(this.keys.jobsActive(), '0', String(limit - 1));
  }

  /** True when `owner` now holds the job's lease for `ms`. */
  async tryLease(id: string, owner: string, ms: number): Promise<boolean> {
    return (await this.#redis.set(this.keys.jobLease(id), owner, 'PX', ms, 'NX')) === 'OK';
  }

  async renewLease(id: string, owner: string, ms: number): Promise<boolean> {
    return (await this.#redis.ferryJobRenewLease(this.keys.jobLease(id), owner, String(ms))) === 1;
  }

  async releaseLease(id: string, owner: string): Promise<void> {
    await this.#redis.ferryJobReleaseLease(this.keys.jobLease(id), owner);
  }

  /** The job's imports written and not yet final. */
  openCount(id: string): Promise<number> {
    return this.#redis.scard(this.keys.jobOpen(id));
  }

  openImports(id: string): Promise<string[]> {
    return this.#redis.smembers(this.keys.jobOpen(id));
  }

  /** Which of these import ids have a record already. */
  async existingImports(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.exists(this.keys.record(id));
    const replies = (await pipeline.exec()) ?? [];
    return new Set(ids.filter((_, i) => replies[i]?.[1] === 1));
  }

  /** False when the cursor had moved, or the job is no longer running: nothing was changed. */
  async advance(id: string, step: CursorAdvance): Promise<boolean> {
    const args = [
      String(step.fromOffset),
      String(step.toOffset),
      String(step.rows),
      step.done ? '1' : '0',
      this.#now().toISOString(),
    ];
    for (const [row, error] of step.rowErrors) args.push(String(row), JSON.stringify(error));
    const moved = await this.#redis.ferryJobAdvance(this.keys.job(id), this.keys.jobRowErrors(id), ...args);
    return moved === 1;
  }

  async rowErrors(id: string, rows: readonly number[]): Promise<Map<number, RowError>> {
    if (rows.length === 0) return new Map();
    const values = await this.#redis.hmget(this.keys.jobRowErrors(id), ...rows.map(String));
    const errors = new Map<number, RowError>();
    rows.forEach((row, i) => {
      const value = values[i];
      if (value) errors.set(row, JSON.parse(value) as RowError);
    });
    return errors;
  }

  /** A running job stops expanding; the expander then stops its open imports and writes its report. */
  cancel(id: string): Promise<JobTransitionOutcome> {
    return this.#transition(id, 'canceling', ['running'], false);
  }

  /**
   * The report is written: completed (or canceled, after a cancel), with `skippedRows` never
   * expanded counted as skipped and the manifest's row count known.
   */
  finish(job: JobRecord, skippedRows: number, rowsTotal: number): Promise<JobTransitionOutcome> {
    const to: JobStatus = job.status === 'canceling' ? 'canceled' : 'completed';
    return this.#transition(job.id, to, [job.status], job.spec.notify !== undefined, {
      reportWritten: '1',
      rowsTotal: String(rowsTotal),
      filesSkipped: String(job.files.skipped + skippedRows),
    });
  }

  /** The manifest cannot be read any more (gone, changed): the job ends, its open imports run on. */
  fail(job: JobRecord, error: { code: ErrorCode; message: string }): Promise<JobTransitionOutcome> {
    return this.#transition(job.id, 'failed', ['running', 'canceling'], job.spec.notify !== undefined, {
      error: JSON.stringify(error),
    });
  }

  async #transition(
    id: string,
    to: JobStatus,
    from: readonly JobStatus[],
    hasNotify: boolean,
    fields: Record<string, string> = {},
  ): Promise<JobTransitionOutcome> {
    const now = this.#now();
    const final = FINAL_JOB_STATUSES.includes(to);
    const args = [
      this.keys.prefix,
      id,
      to,
      from.join(','),
      now.toISOString(),
      final ? String(now.getTime()) : '',
      final && hasNotify ? '1' : '0',
    ];
    for (const [name, value] of Object.entries(fields)) args.push(name, value);
    const [status, previous] = await this.#redis.ferryJobTransition(this.keys.job(id), ...args);
    if (status === 1) return { ok: true, previous: previous as JobStatus };
    return { ok: false, current: status === 0 ? (previous as JobStatus) : null };
  }
}

function counts(hash: Record<string, string>, kind: 'files' | 'bytes'): JobCounts {
  return {
    done: Number(hash[`${kind}Done`] ?? 0),
    failed: Number(hash[`${kind}Failed`] ?? 0),
    skipped: Number(hash[`${kind}Skipped`] ?? 0),
  };
}

function parseJob(hash: Record<string, string> | null | undefined): JobRecord | null {
  if (!hash?.id || !hash.tenant || !hash.status || !hash.spec) return null;
  const job: JobRecord = {
    id: hash.id,
    tenant: hash.tenant,
    status: hash.status as JobStatus,
    spec: JSON.parse(hash.spec) as JobSpec,
    createdAt: hash.createdAt ?? '',
    updatedAt: hash.updatedAt ?? '',
    cursor: { offset: Number(hash.cursorOffset ?? 0), rows: Number(hash.rowsExpanded ?? 0) },
    expansionDone: hash.expansionDone === '1',
    rowsTotal: hash.rowsTotal ? Number(hash.rowsTotal) : null,
    files: counts(hash, 'files'),
    bytes: counts(hash, 'bytes'),
    reportWritten: hash.reportWritten === '1',
  };
  if (hash.error) job.error = JSON.parse(hash.error) as JobRecord['error'] & object;
  if (hash.notify) job.notify = JSON.parse(hash.notify) as NotifyState;
  return job;
}
