/**
 * Takes fed entries off the heads of tenants' unfed lists: for each tenant, pops while the head is
 * the next id the feeder saw there, and stops at the first that is not. Creates only append, so what
 * was seen is still the head unless another feeder (one whose lease lapsed) took it first; either
 * way no entry the caller did not see is removed. A tenant whose list ends empty leaves the set of
 * tenants in the same step, so a create (one MULTI with its SADD) can never be left out of it.
 *
 * KEYS[1]: the set of tenants (StoreKeys.unfedTenants), so a cluster runs this in the queue's slot,
 * where every list is too. ARGV: the key prefix, then per tenant: its name, the count of ids, the
 * ids in list order. Returns the number of entries removed.
 */
export const DROP_SEEN_SCRIPT = `
local prefix = ARGV[1]
local removed = 0
local i = 2
while i <= #ARGV do
  local tenant = ARGV[i]
  local count = tonumber(ARGV[i + 1])
  -- StoreKeys.tenantUnfed
  local list = prefix .. 'tenant:' .. tenant .. ':unfed'
  for j = 1, count do
    if redis.call('LINDEX', list, 0) ~= ARGV[i + 1 + j] then break end
    redis.call('LPOP', list)
    removed = removed + 1
  end
  if redis.call('LLEN', list) == 0 then redis.call('SREM', KEYS[1], tenant) end
  i = i + 2 + count
end
return removed
`;
