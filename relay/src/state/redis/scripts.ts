// Lua scripts for the Redis state. Each runs atomically in Redis, which is what makes "admit under the
// limit", "first/last connection of a peer" and counter folding race-free across nodes. Scripts read
// the clock with TIME so lease expiry never depends on the relay nodes' clocks agreeing.
//
// Key layout (prefix P, e.g. "tollgate:"; see ./keys.ts). Every script touches the keys of one hash tag
// only, passed in KEYS (or named from a KEYS entry by a suffix, which keeps the tag), so the same
// scripts run on a standalone Redis and on Redis Cluster:
//   P{fleet}:nodes                  ZSET nodeId → liveness deadline (ms); written by heartbeats
//   P{fleet}:reaping                SET dead nodes whose presence and directory entries are being removed
//   P{<app>}:lease                  ZSET nodeId → lease deadline (ms) of that node's leases for the app
//   P{<app>}:lease:<nodeId>         SET connection ids leased by that node
//   P{<app>}:pres:<channel>         HASH c:<conn> → peer, p:<peer> → connection count, m:<peer> → metadata JSON
//   P{<app>}:prespeers:<channel>    ZSET the channel's present peers, all scored 0, so ordered by peerId
//                                   and read a page at a time with a BYLEX range
//   P{<app>}:channels               SET the app's channels with at least one present peer (active channels)
//   P{<app>}:msg:<period>           HASH b (the largest control-plane count any node reported),
//                                   n:<node> (node's increments the control plane has not acknowledged)
//   P{<app>}:peer:<peerId>          SET nodes holding a connection of the peer (the directory)
//   P{<app>}:hist:<channel>         STREAM the channel's recent messages, ids <offset>-0 (./history.ts)
//   P{<app>}:histmeta:<channel>     HASH e (the stream's epoch), o (its latest offset)
//   P{node:<id>}:lease-apps         SET apps the node holds leases for (cleared by a reconcile)
//   P{node:<id>}:presence           SET JSON [app, channel, peer, connection] (reaped when the node dies)
//   P{node:<id>}:peers              SET JSON [app, peer] the node registered in the directory (reaped too)
// Pub/sub topics: P{<app>}:bus (channel messages and presence) and P{node:<id>}:inbox (direct sends,
// disconnects, usage requests and the answers to them).

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

/** KEYS: lease zset. ARGV: nodeId, connectionId, limit (-1 = none), ttlMs. */
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
return {1, count + 1}
`;

/** KEYS: lease zset. ARGV: nodeId, connectionId. */
export const LEASE_RELEASE = `
local own = KEYS[1] .. ':' .. ARGV[1]
redis.call('SREM', own, ARGV[2])
if redis.call('SCARD', own) == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
end
return 1
`;

/** KEYS: lease zset. */
export const LEASE_COUNT = `${NOW}${LEASE_COUNT_FN}
return live_lease_count(KEYS[1], now)
`;

/**
 * Replaces the node's leases of one app with its local view (after an outage or after being reaped).
 * KEYS: lease zset. ARGV: nodeId, ttlMs, then the node's connection ids of the app (none: no lease).
 */
export const LEASE_REPLACE = `${NOW}
local zset = KEYS[1]
local own = zset .. ':' .. ARGV[1]
local ttl = tonumber(ARGV[2])
redis.call('DEL', own)
redis.call('ZREM', zset, ARGV[1])
if #ARGV < 3 then return 1 end
for i = 3, #ARGV do redis.call('SADD', own, ARGV[i]) end
redis.call('ZADD', zset, now + ttl, ARGV[1])
redis.call('PEXPIRE', own, ttl)
redis.call('PEXPIRE', zset, ttl)
return 1
`;

/**
 * Marks the node alive. Returns [registered, live node, …]: registered is 1 when the node was
 * registered before, 0 when it was not (first heartbeat, reaped after a stall, or Redis lost its data:
 * the caller reconciles), then every live node (this one included).
 * KEYS: nodes. ARGV: nodeId, ttlMs.
 */
export const HEARTBEAT = `${NOW}
local known = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local out = {0}
if known then out[1] = 1 end
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')) do table.insert(out, node) end
return out
`;

/** The live nodes. KEYS: nodes. */
export const LIVE_NODES = `${NOW}
return redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')
`;

/**
 * Extends the node's lease of one app and returns the app's global count; a lease Redis no longer
 * holds (expired during a stall) is dropped. KEYS: lease zset. ARGV: nodeId, ttlMs.
 */
export const LEASE_RENEW = `${NOW}${LEASE_COUNT_FN}
local zset = KEYS[1]
local own = zset .. ':' .. ARGV[1]
local ttl = tonumber(ARGV[2])
if redis.call('EXISTS', own) == 1 then
  redis.call('ZADD', zset, now + ttl, ARGV[1])
  redis.call('PEXPIRE', zset, ttl)
  redis.call('PEXPIRE', own, ttl)
else
  redis.call('ZREM', zset, ARGV[1])
end
return live_lease_count(zset, now)
`;

/** Removes one connection from a channel's presence; 1 when it was the peer's last connection. */
const PRESENCE_LEAVE_FN = `
local function presence_leave(hash, peers, active, channel, peer, conn)
  if redis.call('HGET', hash, 'c:' .. conn) ~= peer then return 0 end
  redis.call('HDEL', hash, 'c:' .. conn)
  if redis.call('HINCRBY', hash, 'p:' .. peer, -1) > 0 then return 0 end
  redis.call('HDEL', hash, 'p:' .. peer, 'm:' .. peer)
  redis.call('ZREM', peers, peer)
  if redis.call('ZCARD', peers) == 0 then redis.call('SREM', active, channel) end
  return 1
end
`;

/**
 * Joins one connection, checking the channel limits in the same atomic step: a peer not yet present
 * is refused when the channel holds maxPeers peers, and the channel's first peer when the app has
 * maxChannels active channels (-1 = no limit). A connection of a peer already present always joins.
 * KEYS: presence hash, presence peers zset, the app's active channels set. ARGV: peer, connection,
 * metadata JSON ('' = none), channel, maxPeers, maxChannels.
 * Returns {1} for the peer's first connection ({1, active channels} when it made the channel active),
 * {0} for a further one (or a repeat), {-1, peers} when the channel is full, {-2, active channels}
 * when the app's active channels are at their limit.
 */
export const PRESENCE_JOIN = `
local hash, peers, active = KEYS[1], KEYS[2], KEYS[3]
local peer, conn, meta, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local maxPeers, maxChannels = tonumber(ARGV[5]), tonumber(ARGV[6])
if redis.call('HEXISTS', hash, 'c:' .. conn) == 1 then return {0} end
if redis.call('HEXISTS', hash, 'p:' .. peer) == 0 then
  local present = redis.call('ZCARD', peers)
  if present == 0 and maxChannels >= 0 then
    local open = redis.call('SCARD', active)
    if open >= maxChannels then
      -- A listed channel without presence left through a relay that predates this set (a rolling
      -- upgrade): a few are looked at per refusal, so the set heals without ever being scanned whole.
      local base = string.sub(peers, 1, #peers - #channel)
      for _, listed in ipairs(redis.call('SRANDMEMBER', active, 8)) do
        if redis.call('EXISTS', base .. listed) == 0 then redis.call('SREM', active, listed) end
      end
      open = redis.call('SCARD', active)
      if open >= maxChannels then return {-2, open} end
    end
  end
  if maxPeers >= 0 and present >= maxPeers then return {-1, present} end
end
redis.call('HSET', hash, 'c:' .. conn, peer)
if redis.call('HINCRBY', hash, 'p:' .. peer, 1) > 1 then return {0} end
if meta ~= '' then redis.call('HSET', hash, 'm:' .. peer, meta) end
redis.call('ZADD', peers, 0, peer)
if redis.call('SADD', active, channel) == 1 then return {1, redis.call('SCARD', active)} end
return {1}
`;

/** KEYS: presence hash, presence peers zset, active channels set. ARGV: peer, connection, channel. Returns 1 when the peer left. */
export const PRESENCE_LEAVE = `${PRESENCE_LEAVE_FN}
return presence_leave(KEYS[1], KEYS[2], KEYS[3], ARGV[3], ARGV[1], ARGV[2])
`;

/**
 * One roster page: up to `limit` peers after `after` ('' = from the first) in peerId order.
 * KEYS: presence hash, presence peers zset. ARGV: after, limit. Returns [more (1 when peers follow the page), peer, metadata JSON or '', …].
 */
export const PRESENCE_ROSTER_PAGE = `
local after, limit = ARGV[1], tonumber(ARGV[2])
local from = '-'
if after ~= '' then from = '(' .. after end
local peers = redis.call('ZRANGEBYLEX', KEYS[2], from, '+', 'LIMIT', 0, limit + 1)
local more = 0
if #peers > limit then
  more = 1
  peers[#peers] = nil
end
local out = {more}
if #peers == 0 then return out end
local fields = {}
for i, peer in ipairs(peers) do fields[i] = 'm:' .. peer end
local metadata = redis.call('HMGET', KEYS[1], unpack(fields))
for i, peer in ipairs(peers) do
  table.insert(out, peer)
  table.insert(out, metadata[i] or '')
end
return out
`;

/**
 * Claims nodes whose liveness deadline passed for reaping and returns every node still being reaped
 * (a reaper that stopped halfway leaves its nodes here for the next one). KEYS: nodes, reaping. ARGV: max nodes per call.
 */
export const REAP_CLAIM = `${NOW}
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now, 'LIMIT', 0, tonumber(ARGV[1]))) do
  redis.call('ZREM', KEYS[1], node)
  redis.call('SADD', KEYS[2], node)
end
return redis.call('SRANDMEMBER', KEYS[2], tonumber(ARGV[1]))
`;

/**
 * Pushes this node's counters and reads the global view, for many app periods at once. Per entry the
 * node sends absolute values, so a retried or repeated push never double counts: its unacknowledged
 * count (n:<node>) and the largest control-plane count it knows (b only grows: the control plane's
 * period count only grows, so the larger is the newer). A node moves an acknowledged batch out of n and
 * raises b to the acknowledgement's period count in one push, so the global total never falls back;
 * a key Redis lost (restart without persistence) is rebuilt exactly from the nodes' next pushes.
 * The live nodes are read just before (LIVE_NODES): a field of a node not among them is a dead node's
 * and is dropped.
 * KEYS: the period keys (one slot). ARGV: nodeId, key TTL seconds, number of live nodes, the live
 * nodes, then per key: unacknowledged, baseline (-1 = none).
 * Returns per key: baseline (-1 = none) and the other live nodes' unacknowledged sum.
 */
export const COUNTER_SYNC = `
local nodeField = 'n:' .. ARGV[1]
local keyTtl = tonumber(ARGV[2])
local live = {}
local liveCount = tonumber(ARGV[3])
for j = 1, liveCount do live['n:' .. ARGV[3 + j]] = true end
local out = {}
local i = 4 + liveCount
for _, key in ipairs(KEYS) do
  local base = tonumber(ARGV[i + 1])
  local b = tonumber(redis.call('HGET', key, 'b') or '-1')
  if base > b then b = base end
  redis.call('HSET', key, 'b', b, nodeField, ARGV[i])
  redis.call('EXPIRE', key, keyTtl)
  local others = 0
  local fields = redis.call('HGETALL', key)
  for j = 1, #fields, 2 do
    local field = fields[j]
    if string.sub(field, 1, 2) == 'n:' and field ~= nodeField then
      if live[field] then
        others = others + tonumber(fields[j + 1])
      else
        redis.call('HDEL', key, field)
      end
    end
  end
  table.insert(out, b)
  table.insert(out, others)
  i = i + 2
end
return out
`;
