import {
  type EventSink,
  type ImportEventType,
  isJobEventType,
  type JobEventType,
  type NotifyState,
  type StoreKeys,
} from '@ferry/shared';
import type { Redis } from 'ioredis';

/** One outbox entry claimed for one delivery attempt. */
export interface OutboxClaim {
  sink: EventSink;
  /** The import's id, or a transfer job's (then `type` is a job event's). */
  importId: string;
  type: ImportEventType | JobEventType;
  /** When the import turned final (ISO): the event's timestamp. */
  at: string;
  /** When the first attempt was due (ms): retries stop a give-up period after it. */
  firstDueMs: number;
  /** This attempt's number; also the claim's fence (see SETTLE_SCRIPT). */
  attempt: number;
}

/**
 * Claims up to ARGV[3] entries due by ARGV[1], pushing each one's score out by the lease ARGV[2] and
 * counting the attempt, in one step: two dispatchers never claim the same entry at once, and one that
 * dies holding a claim leaves the entry due again when the lease runs out.
 * KEYS[1] the sink's due set; ARGV[4] the prefix of its entries' keys.
 */
const CLAIM_SCRIPT = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local claimed = {}
for _, id in ipairs(due) do
  local entry = ARGV[4] .. id
  if redis.call('EXISTS', entry) == 1 then
    local attempt = redis.call('HINCRBY', entry, 'attempts', 1)
    redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), id)
    local fields = redis.call('HMGET', entry, 'type', 'at', 'firstDueMs')
    table.insert(claimed, {id, tostring(attempt), fields[1] or '', fields[2] or '', fields[3] or '0'})
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return claimed
`;

/**
 * Ends an attempt, if the claim is still the entry's latest (a dispatcher whose lease ran out while
 * it delivered must not undo the next one's outcome): ARGV[2] = '' removes the entry (delivered, or
 * given up), a time schedules the next attempt then. ARGV[4], unless '', becomes the record's notify
 * state. KEYS: due set, entry, record. ARGV: id, next due ms, last error, notify state, attempt.
 */
const SETTLE_SCRIPT = `
if redis.call('HGET', KEYS[2], 'attempts') ~= ARGV[5] then return 0 end
if ARGV[2] == '' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('DEL', KEYS[2])
else
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
  redis.call('HSET', KEYS[2], 'lastError', ARGV[3])
end
if ARGV[4] ~= '' and redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('HSET', KEYS[3], 'notify', ARGV[4])
end
return 1
`;

type OutboxRedis = Redis & {
  ferryOutboxClaim(...keysAndArgs: string[]): Promise<string[][]>;
  ferryOutboxSettle(...keysAndArgs: string[]): Promise<number>;
};

/** The events outbox's claim and settle steps (the transition script writes its entries). */
export class Outbox {
  readonly #redis: OutboxRedis;
  readonly #keys: StoreKeys;

  constructor(redis: Redis, keys: StoreKeys) {
    if (!('ferryOutboxClaim' in redis)) {
      redis.defineCommand('ferryOutboxClaim', { numberOfKeys: 1, lua: CLAIM_SCRIPT });
      redis.defineCommand('ferryOutboxSettle', { numberOfKeys: 3, lua: SETTLE_SCRIPT });
    }
    this.#redis = redis as OutboxRedis;
    this.#keys = keys;
  }

  async claimDue(sink: EventSink, nowMs: number, leaseMs: number, limit: number): Promise<OutboxClaim[]> {
    const entryPrefix = this.#keys.outboxEntry(sink, '');
    const rows = await this.#redis.ferryOutboxClaim(
      this.#keys.outbox(sink),
      String(nowMs),
      String(leaseMs),
      String(limit),
      entryPrefix,
    );
    return rows.map(([importId = '', attempt = '0', type = '', at = '', firstDueMs = '0']) => ({
      sink,
      importId,
      type: type as ImportEventType | JobEventType,
      at,
      firstDueMs: Number(firstDueMs),
      attempt: Number(attempt),
    }));
  }

  /** Delivered or given up: the entry goes; `notify` (webhooks) is the record's final delivery state. */
  finish(claim: OutboxClaim, notify: NotifyState | null): Promise<boolean> {
    return this.#settle(claim, '', '', notify);
  }

  /** Not delivered this time: due again at `dueMs`. */
  retryAt(
    claim: OutboxClaim,
    dueMs: number,
    lastError: string,
    notify: NotifyState | null,
  ): Promise<boolean> {
    return this.#settle(claim, String(dueMs), lastError, notify);
  }

  async #settle(
    claim: OutboxClaim,
    nextDue: string,
    lastError: string,
    notify: NotifyState | null,
  ): Promise<boolean> {
    const settled = await this.#redis.ferryOutboxSettle(
      this.#keys.outbox(claim.sink),
      this.#keys.outboxEntry(claim.sink, claim.importId),
      // The delivery state goes on the record of what the event is about.
      isJobEventType(claim.type) ? this.#keys.job(claim.importId) : this.#keys.record(claim.importId),
      claim.importId,
      nextDue,
      lastError,
      notify ? JSON.stringify(notify) : '',
      String(claim.attempt),
    );
    return settled === 1;
  }

  /** How many events wait for delivery to `sink`. */
  pending(sink: EventSink): Promise<number> {
    return this.#redis.zcard(this.#keys.outbox(sink));
  }
}
