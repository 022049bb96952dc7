import { STATUS_GUARD } from './transition-script.ts';

/**
 * Moves the expansion cursor past one window, if the job is still running and the cursor is where
 * this expander read from (an expander whose lease lapsed must not move it twice). Rows refused at
 * expansion are counted as failed and their errors kept, in the same step, so a crash before it
 * redoes the window and counts them once.
 *
 * KEYS: job hash, row-errors hash. ARGV: expected offset, new offset, rows in the window, done
 * ('1' at the manifest's end), updatedAt, then row/error pairs.
 */
export const ADVANCE_SCRIPT = `
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
if redis.call('HGET', KEYS[1], 'cursorOffset') ~= ARGV[1] then return 0 end
local rows = redis.call('HINCRBY', KEYS[1], 'rowsExpanded', tonumber(ARGV[3]))
redis.call('HSET', KEYS[1], 'cursorOffset', ARGV[2], 'updatedAt', ARGV[5])
local refused = 0
for i = 6, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  refused = refused + 1
end
if refused > 0 then redis.call('HINCRBY', KEYS[1], 'filesFailed', refused) end
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], 'expansionDone', '1', 'rowsTotal', rows) end
return 1
`;

/**
 * Moves a job from one of the allowed statuses to a new one; a final one also takes it off the
 * active set and writes its event's outbox entries (as TRANSITION_SCRIPT does for imports), so no
 * crash separates "completed" from "to be announced".
 *
 * KEYS: job hash. ARGV: prefix, id, newStatus, allowed (comma list), updatedAt, eventAtMs ('' when
 * not final), has notify ('1'/'0'), then field/value pairs to set.
 */
export const JOB_TRANSITION_SCRIPT = `
${STATUS_GUARD}local prefix = ARGV[1]
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'updatedAt', ARGV[5])
for i = 8, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
if ARGV[6] ~= '' then
  -- StoreKeys.jobsActive, StoreKeys.outboxEntry and StoreKeys.outbox
  redis.call('ZREM', prefix .. 'jobs:active', ARGV[2])
  local function enqueue(sink)
    redis.call('HSET', prefix .. 'outbox:' .. sink .. ':' .. ARGV[2], 'type', 'job.' .. ARGV[3],
      'at', ARGV[5], 'firstDueMs', ARGV[6], 'attempts', 0)
    redis.call('ZADD', prefix .. 'outbox:' .. sink .. ':due', ARGV[6], ARGV[2])
  end
  if ARGV[7] == '1' then
    enqueue('webhook')
    redis.call('HSET', KEYS[1], 'notify', '{"status":"pending","attempts":0}')
  end
  if redis.call('EXISTS', prefix .. 'events:sqs') == 1 then enqueue('sqs') end
end
return {1, current}
`;

/** Deletes the lease only if this owner still holds it. KEYS: lease. ARGV: owner token. */
export const RELEASE_LEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Extends the lease only if this owner still holds it. KEYS: lease. ARGV: owner token, ms. */
export const RENEW_LEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;
