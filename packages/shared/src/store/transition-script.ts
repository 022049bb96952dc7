/**
 * Atomically moves an import from one of the allowed statuses to a new one, keeps the per-status
 * indexes in step and sets extra fields. Returns {1, previous} on success, {0, current} when the
 * current status is not allowed, {-1} when the import does not exist.
 *
 * KEYS[1] record hash; KEYS[2..] keys to delete with the transition (in the same `{queue}` slot).
 * ARGV: prefix, id, newStatus, allowed (comma list), updatedAt, then field/value pairs.
 */
export const TRANSITION_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return {-1, ''} end
local allowed = false
for s in string.gmatch(ARGV[4], '[^,]+') do
  if s == current then allowed = true end
end
if not allowed then return {0, current} end
local tenant = redis.call('HGET', KEYS[1], 'tenant')
local prefix = ARGV[1]
if current ~= ARGV[3] then
  redis.call('ZREM', prefix .. 'tenant:' .. tenant .. ':status:' .. current, ARGV[2])
  redis.call('ZADD', prefix .. 'tenant:' .. tenant .. ':status:' .. ARGV[3], 0, ARGV[2])
end
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'updatedAt', ARGV[5])
for i = 6, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
for i = 2, #KEYS do
  redis.call('DEL', KEYS[i])
end
return {1, current}
`;
