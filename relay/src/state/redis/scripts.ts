// Lua scripts for the Redis state. Each runs atomically in Redis, which is what makes "admit under the
// limit", "first/last connection of a peer" and counter folding race-free across nodes. Scripts read
// the clock with TIME so lease expiry never depends on the relay nodes' clocks agreeing.
//
// Key layout (prefix P, e.g. "tollgate:"):
//   P nodes                         ZSET nodeId → liveness deadline (ms); written by heartbeats
//   P lease:<app>                   ZSET nodeId → lease deadline (ms) of that node's leases for the app
//   P lease:<app>:<nodeId>          SET connection ids leased by that node
//   P node:<nodeId>:lease-apps      SET apps the node holds leases for (heartbeat walks it)
//   P node:<nodeId>:presence        SET JSON [app, channel, peer, connection] (reaped when the node dies)
//   P pres:<app>:<channel>          HASH c:<conn> → peer, p:<peer> → connection count, m:<peer> → metadata JSON
//   P prespeers:<app>:<channel>     ZSET the channel's present peers, all scored 0, so ordered by peerId
//                                   and read a page at a time with a BYLEX range
//   P msg:<app>:<period>            HASH b (the largest control-plane count any node reported),
//                                   n:<node> (node's increments the control plane has not acknowledged)
// App ids never contain ":" (they are `app_…`), so app/channel pairs map to keys unambiguously.
// Scripts build some key names from the prefix, so they target a standalone Redis (or Sentinel), not
// Redis Cluster.

const NOW = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
`;

/** Drops the entries (and sets) of nodes whose lease deadline passed, then sums the live sets. */
const LEASE_COUNT_FN = `
local function live_lease_count(zset, now)
  local expired = redis.call('ZRANGEBYSCORE', zset, '-inf', '(' .. now)
  for _, node in ipairs(expired) do
    redis.call('ZREM', zset, node)
    redis.call('DEL', zset .. ':' .. node)
  end
  local count = 0
  for _, node in ipairs(redis.call('ZRANGE', zset, 0, -1)) do
    count = count + redis.call('SCARD', zset .. ':' .. node)
  end
  return count
end
`;

/** KEYS: lease zset, node lease-apps. ARGV: nodeId, connectionId, limit (-1 = none), ttlMs, appId. */
export const LEASE_ACQUIRE = `${NOW}${LEASE_COUNT_FN}
local zset = KEYS[1]
local own = zset .. ':' .. ARGV[1]
local count = live_lease_count(zset, now)
if redis.call('SISMEMBER', own, ARGV[2]) == 1 then return {1, count} end
local limit = tonumber(ARGV[3])
if limit >= 0 and count >= limit then return {0, count} end
local ttl = tonumber(ARGV[4])
redis.call('SADD', own, ARGV[2])
redis.call('ZADD', zset, now + ttl, ARGV[1])
redis.call('PEXPIRE', own, ttl)
redis.call('PEXPIRE', zset, ttl)
redis.call('SADD', KEYS[2], ARGV[5])
return {1, count + 1}
`;

/** KEYS: lease zset, node lease-apps. ARGV: nodeId, connectionId, appId. */
export const LEASE_RELEASE = `
local own = KEYS[1] .. ':' .. ARGV[1]
redis.call('SREM', own, ARGV[2])
if redis.call('SCARD', own) == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('SREM', KEYS[2], ARGV[3])
end
return 1
`;

/** KEYS: lease zset. */
export const LEASE_COUNT = `${NOW}${LEASE_COUNT_FN}
return live_lease_count(KEYS[1], now)
`;

/**
 * Replaces the node's leases with its local view (after an outage or after being reaped).
 * KEYS: node lease-apps. ARGV: nodeId, ttlMs, leasePrefix, then per app: appId, n, n connection ids.
 */
export const LEASE_REPLACE = `${NOW}
local ttl = tonumber(ARGV[2])
for _, app in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local zset = ARGV[3] .. app
  redis.call('DEL', zset .. ':' .. ARGV[1])
  redis.call('ZREM', zset, ARGV[1])
end
redis.call('DEL', KEYS[1])
local i = 4
while i <= #ARGV do
  local app = ARGV[i]
  local n = tonumber(ARGV[i + 1])
  local zset = ARGV[3] .. app
  local own = zset .. ':' .. ARGV[1]
  for j = 1, n do redis.call('SADD', own, ARGV[i + 1 + j]) end
  if n > 0 then
    redis.call('ZADD', zset, now + ttl, ARGV[1])
    redis.call('PEXPIRE', own, ttl)
    redis.call('PEXPIRE', zset, ttl)
    redis.call('SADD', KEYS[1], app)
  end
  i = i + 2 + n
end
return 1
`;

/**
 * Marks the node alive and extends its leases. Returns [registered, app, global count, …]:
 * registered is 1 when the node was registered before, 0 when it was not (first heartbeat, reaped after
 * a stall, or Redis lost its data: the caller reconciles); the counts refresh the node's outage view.
 * KEYS: nodes, node lease-apps. ARGV: nodeId, ttlMs, leasePrefix.
 */
export const HEARTBEAT = `${NOW}${LEASE_COUNT_FN}
local ttl = tonumber(ARGV[2])
local known = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
local out = {0}
if known then out[1] = 1 end
for _, app in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local zset = ARGV[3] .. app
  local own = zset .. ':' .. ARGV[1]
  if redis.call('EXISTS', own) == 1 then
    redis.call('ZADD', zset, now + ttl, ARGV[1])
    redis.call('PEXPIRE', zset, ttl)
    redis.call('PEXPIRE', own, ttl)
    table.insert(out, app)
    table.insert(out, live_lease_count(zset, now))
  else
    redis.call('SREM', KEYS[2], app)
    redis.call('ZREM', zset, ARGV[1])
  end
end
return out
`;

/** Removes one connection from a channel's presence; 1 when it was the peer's last connection. */
const PRESENCE_LEAVE_FN = `
local function presence_leave(prefix, app, channel, peer, conn)
  local hash = prefix .. 'pres:' .. app .. ':' .. channel
  if redis.call('HGET', hash, 'c:' .. conn) ~= peer then return 0 end
  redis.call('HDEL', hash, 'c:' .. conn)
  if redis.call('HINCRBY', hash, 'p:' .. peer, -1) > 0 then return 0 end
  redis.call('HDEL', hash, 'p:' .. peer, 'm:' .. peer)
  redis.call('ZREM', prefix .. 'prespeers:' .. app .. ':' .. channel, peer)
  return 1
end
`;

/** ARGV: prefix, app, channel, peer, connection, metadata JSON ('' = none), node presence index key. Returns 1 for the peer's first connection. */
export const PRESENCE_JOIN = `
local prefix, app, channel, peer, conn, meta = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local hash = prefix .. 'pres:' .. app .. ':' .. channel
if redis.call('HSETNX', hash, 'c:' .. conn, peer) == 0 then return 0 end
redis.call('SADD', ARGV[7], cjson.encode({app, channel, peer, conn}))
if redis.call('HINCRBY', hash, 'p:' .. peer, 1) > 1 then return 0 end
if meta ~= '' then redis.call('HSET', hash, 'm:' .. peer, meta) end
redis.call('ZADD', prefix .. 'prespeers:' .. app .. ':' .. channel, 0, peer)
return 1
`;

/** ARGV: prefix, app, channel, peer, connection, node presence index key. Returns 1 when the peer left. */
export const PRESENCE_LEAVE = `${PRESENCE_LEAVE_FN}
local prefix, app, channel, peer, conn = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
redis.call('SREM', ARGV[6], cjson.encode({app, channel, peer, conn}))
return presence_leave(prefix, app, channel, peer, conn)
`;

/**
 * One roster page: up to `limit` peers after `after` ('' = from the first) in peerId order.
 * ARGV: prefix, app, channel, after, limit. Returns [more (1 when peers follow the page), peer, metadata JSON or '', …].
 */
export const PRESENCE_ROSTER_PAGE = `
local prefix, app, channel, after, limit = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local from = '-'
if after ~= '' then from = '(' .. after end
local peers = redis.call('ZRANGEBYLEX', prefix .. 'prespeers:' .. app .. ':' .. channel, from, '+', 'LIMIT', 0, limit + 1)
local more = 0
if #peers > limit then
  more = 1
  peers[#peers] = nil
end
local out = {more}
if #peers == 0 then return out end
local fields = {}
for i, peer in ipairs(peers) do fields[i] = 'm:' .. peer end
local metadata = redis.call('HMGET', prefix .. 'pres:' .. app .. ':' .. channel, unpack(fields))
for i, peer in ipairs(peers) do
  table.insert(out, peer)
  table.insert(out, metadata[i] or '')
end
return out
`;

/**
 * Reaps nodes whose liveness deadline passed: removes their presence (returning [app, channel, peer, …]
 * for peers that thereby left, so the caller announces them) and their lease bookkeeping.
 * KEYS: nodes. ARGV: prefix, max nodes per call.
 */
export const REAP = `${NOW}${PRESENCE_LEAVE_FN}
local prefix = ARGV[1]
local left = {}
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now, 'LIMIT', 0, tonumber(ARGV[2]))) do
  redis.call('ZREM', KEYS[1], node)
  local index = prefix .. 'node:' .. node .. ':presence'
  for _, member in ipairs(redis.call('SMEMBERS', index)) do
    local ok, entry = pcall(cjson.decode, member)
    if ok and type(entry) == 'table' and presence_leave(prefix, entry[1], entry[2], entry[3], entry[4]) == 1 then
      table.insert(left, entry[1])
      table.insert(left, entry[2])
      table.insert(left, entry[3])
    end
  end
  redis.call('DEL', index)
  redis.call('DEL', prefix .. 'node:' .. node .. ':lease-apps')
end
return left
`;

/**
 * Pushes this node's counters and reads the global view, for many app periods at once. Per entry the
 * node sends absolute values, so a retried or repeated push never double counts: its unacknowledged
 * count (n:<node>) and the largest control-plane count it knows (b only grows: the control plane's
 * period count only grows, so the larger is the newer). A node moves an acknowledged batch out of n and
 * raises b to the acknowledgement's period count in one push, so the global total never falls back;
 * a key Redis lost (restart without persistence) is rebuilt exactly from the nodes' next pushes.
 * KEYS: nodes. ARGV: nodeId, key TTL seconds, then per entry: key, unacknowledged, baseline (-1 = none).
 * Returns the number of other live nodes, then per entry: baseline (-1 = none) and the other live
 * nodes' unacknowledged sum.
 */
export const COUNTER_SYNC = `${NOW}
local nodeField = 'n:' .. ARGV[1]
local keyTtl = tonumber(ARGV[2])
local liveNodes = redis.call('ZCOUNT', KEYS[1], now, '+inf')
local selfDeadline = redis.call('ZSCORE', KEYS[1], ARGV[1])
if selfDeadline and tonumber(selfDeadline) >= now then liveNodes = liveNodes - 1 end
local out = {liveNodes}
local i = 3
while i <= #ARGV do
  local key = ARGV[i]
  local base = tonumber(ARGV[i + 2])
  local b = tonumber(redis.call('HGET', key, 'b') or '-1')
  if base > b then b = base end
  redis.call('HSET', key, 'b', b, nodeField, ARGV[i + 1])
  redis.call('EXPIRE', key, keyTtl)
  local others = 0
  local fields = redis.call('HGETALL', key)
  for j = 1, #fields, 2 do
    local field = fields[j]
    if string.sub(field, 1, 2) == 'n:' and field ~= nodeField then
      local deadline = redis.call('ZSCORE', KEYS[1], string.sub(field, 3))
      if deadline and tonumber(deadline) >= now then
        others = others + tonumber(fields[j + 1])
      else
        redis.call('HDEL', key, field)
      end
    end
  end
  table.insert(out, b)
  table.insert(out, others)
  i = i + 3
end
return out
`;
