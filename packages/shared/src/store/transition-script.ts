/**
 * The start of a status transition of the hash at KEYS[1] (an import's, a job's): `current` is its
 * status; {-1, ''} when it does not exist, {0, current} when that is not one of ARGV[4] (a comma list).
 */
export const STATUS_GUARD = `
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return {-1, ''} end
local allowed = false
for s in string.gmatch(ARGV[4], '[^,]+') do
  if s == current then allowed = true end
end
if not allowed then return {0, current} end
`;

/**
 * Atomically moves an import from one of the allowed statuses to a new one, keeps the per-status
 * indexes in step and sets extra fields. Returns {1, previous} on success, {0, current} when the
 * current status is not allowed, {-1} when the import does not exist.
 *
 * A final transition (ARGV[6] = its time in ms, '' otherwise) also writes the completion event's
 * outbox entries in the same step, so no crash can separate "completed" from "to be announced":
 * one for the webhook when the request has a notify target (its delivery state goes on the record),
 * one for SQS while a worker publishes there (see StoreKeys.sqsEventsOn). Imports nobody listens to
 * add nothing. An import of a transfer job (field jobId) leaves the job's open set and is counted in
 * the job's progress in the same step: completed as done, failed as failed, canceled and completed
 * without writing (`result.skipped`, the overwrite policy) as skipped, with its bytesTotal (when
 * known) as bytes; the SREM makes the count happen once.
 *
 * KEYS[1] record hash; KEYS[2..] keys to delete with the transition (in the same `{queue}` slot).
 * ARGV: prefix, id, newStatus, allowed (comma list), updatedAt, eventAtMs, then field/value pairs.
 */
export const TRANSITION_SCRIPT = `
${STATUS_GUARD}local tenant = redis.call('HGET', KEYS[1], 'tenant')
local prefix = ARGV[1]
if current ~= ARGV[3] then
  redis.call('ZREM', prefix .. 'tenant:' .. tenant .. ':status:' .. current, ARGV[2])
  redis.call('ZADD', prefix .. 'tenant:' .. tenant .. ':status:' .. ARGV[3], 0, ARGV[2])
end
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'updatedAt', ARGV[5])
for i = 7, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
for i = 2, #KEYS do
  redis.call('DEL', KEYS[i])
end
if ARGV[6] ~= '' then
  -- StoreKeys.job and StoreKeys.jobOpen
  local jobId = redis.call('HGET', KEYS[1], 'jobId')
  if jobId and redis.call('SREM', prefix .. 'job:' .. jobId .. ':open', ARGV[2]) == 1 then
    local outcome = ({completed = 'Done', failed = 'Failed', canceled = 'Skipped'})[ARGV[3]]
    -- Completed without writing (the overwrite policy left the destination): skipped, not done.
    local result = redis.call('HGET', KEYS[1], 'result')
    if outcome == 'Done' and result and result ~= '' and cjson.decode(result).skipped == true then
      outcome = 'Skipped'
    end
    local job = prefix .. 'job:' .. jobId
    redis.call('HINCRBY', job, 'files' .. outcome, 1)
    redis.call('HINCRBY', job, 'bytes' .. outcome, tonumber(redis.call('HGET', KEYS[1], 'bytesTotal')) or 0)
  end
  -- StoreKeys.outboxEntry and StoreKeys.outbox
  local function enqueue(sink)
    redis.call('HSET', prefix .. 'outbox:' .. sink .. ':' .. ARGV[2], 'type', 'import.' .. ARGV[3],
      'at', ARGV[5], 'firstDueMs', ARGV[6], 'attempts', 0)
    redis.call('ZADD', prefix .. 'outbox:' .. sink .. ':due', ARGV[6], ARGV[2])
  end
  local request = cjson.decode(redis.call('HGET', KEYS[1], 'request') or '{}')
  if type(request.notify) == 'table' then
    enqueue('webhook')
    redis.call('HSET', KEYS[1], 'notify', '{"status":"pending","attempts":0}')
  end
  if redis.call('EXISTS', prefix .. 'events:sqs') == 1 then enqueue('sqs') end
end
return {1, current}
`;
