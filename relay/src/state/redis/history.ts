// Channel history in Redis Streams, shared by every node: per channel a stream P{<app>}:hist:<channel>
// whose entry ids are `<offset>-0`, and a hash P{<app>}:histmeta:<channel> with the stream's epoch (e)
// and latest offset (o). Both carry the app's hash tag (Redis Cluster keeps them in one slot) and
// expire the retention time after the latest message, so a channel that falls silent for that long
// loses its stream and starts a new epoch. Scripts keep "next offset, append, trim (MAXLEN), expire"
// atomic across nodes and read the clock with TIME, so the relay nodes' clocks never matter.
import type { HistoryRetention, StreamPosition } from "../../protocol";
import { newEpoch } from "../epochs";
import type { HistoryEntry, HistoryRead, HistoryStore } from "../types";
import { HistoryUnavailableError } from "../types";
import type { RedisKeys } from "./keys";
import { UNAVAILABLE } from "./link";
import type { RedisLink } from "./link";

const NOW = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
`;

/** KEYS: stream, meta. ARGV: epoch for a new stream, maxlen, ttlMs, from, dataJson, metadataJson ('' = none). Returns {epoch, offset}. */
export const HISTORY_APPEND = `${NOW}
local epoch = redis.call('HGET', KEYS[2], 'e')
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'e', epoch)
end
local offset = redis.call('HINCRBY', KEYS[2], 'o', 1)
if ARGV[6] == '' then
  redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], offset .. '-0', 'f', ARGV[4], 'd', ARGV[5], 't', now)
else
  redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], offset .. '-0', 'f', ARGV[4], 'd', ARGV[5], 't', now, 'm', ARGV[6])
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return {epoch, offset}
`;

/**
 * KEYS: stream, meta. ARGV: direction ('after' = XRANGE from ARGV[2], else XREVRANGE down from ARGV[2]),
 * start id, count, ttlMs. Returns {} without a stream, else {epoch, latestOffset, entries within the
 * retention time in range order}.
 */
export const HISTORY_READ = `${NOW}
local epoch = redis.call('HGET', KEYS[2], 'e')
if not epoch then return {} end
local latest = redis.call('HGET', KEYS[2], 'o') or '0'
local rows
if ARGV[1] == 'after' then
  rows = redis.call('XRANGE', KEYS[1], ARGV[2], '+', 'COUNT', ARGV[3])
else
  rows = redis.call('XREVRANGE', KEYS[1], ARGV[2], '-', 'COUNT', ARGV[3])
end
local kept_since = now - tonumber(ARGV[4])
local kept = {}
for _, row in ipairs(rows) do
  local fields = row[2]
  for i = 1, #fields, 2 do
    if fields[i] == 't' and tonumber(fields[i + 1]) > kept_since then table.insert(kept, row) end
  end
end
return {epoch, latest, kept}
`;

type StreamRow = [string, string[]];

function entryOf([id, fields]: StreamRow): HistoryEntry {
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i] as string, fields[i + 1] as string);
  const entry: HistoryEntry = {
    offset: Number(id.split("-")[0]),
    fromPeerId: values.get("f") ?? "",
    dataJson: values.get("d") ?? "null",
    publishedAtMs: Number(values.get("t") ?? 0),
  };
  const metadata = values.get("m");
  if (metadata !== undefined) entry.fromMetadataJson = metadata;
  return entry;
}

export class RedisHistoryStore implements HistoryStore {
  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
  ) {}

  async append(appId: string, channel: string, message: Omit<HistoryEntry, "offset" | "publishedAtMs">, retention: HistoryRetention): Promise<StreamPosition | null> {
    const args = [newEpoch(), retention.historySize, retention.historyTtlSeconds * 1_000, message.fromPeerId, message.dataJson, message.fromMetadataJson ?? ""];
    const reply = await this.link.call((redis) => this.link.script(redis, HISTORY_APPEND, this.streamKeys(appId, channel), args));
    if (reply === UNAVAILABLE || !Array.isArray(reply)) return null;
    const [epoch, offset] = reply as [string, number];
    return { offset: Number(offset), epoch: String(epoch) };
  }

  async after(appId: string, channel: string, afterOffset: number, limit: number, retention: HistoryRetention): Promise<HistoryRead> {
    return this.read(appId, channel, "after", `${afterOffset + 1}-0`, limit, retention);
  }

  async latest(appId: string, channel: string, limit: number, before: number | null, retention: HistoryRetention): Promise<HistoryRead> {
    const read = await this.read(appId, channel, "before", before === null ? "+" : `${before - 1}-0`, limit, retention);
    return { ...read, entries: read.entries.reverse() };
  }

  private async read(appId: string, channel: string, direction: "after" | "before", startId: string, limit: number, retention: HistoryRetention): Promise<HistoryRead> {
    const args = [direction, startId, limit, retention.historyTtlSeconds * 1_000];
    const reply = await this.link.call((redis) => this.link.script(redis, HISTORY_READ, this.streamKeys(appId, channel), args));
    if (reply === UNAVAILABLE) throw new HistoryUnavailableError();
    if (!Array.isArray(reply) || reply.length < 3) return { epoch: null, latestOffset: 0, entries: [] };
    const [epoch, latest, rows] = reply as [string, string, StreamRow[]];
    return { epoch: String(epoch), latestOffset: Number(latest), entries: rows.map(entryOf) };
  }

  private streamKeys(appId: string, channel: string): string[] {
    return [this.keys.history(appId, channel), this.keys.historyMeta(appId, channel)];
  }
}
