// The LiveUsageStore shared by web replicas: per app one hash of node reports (field = relay id), per app
// and period one hash of the highest figures shown. Each write is one atomic script, so two replicas
// storing answers at once keep the later measurement and the higher figure.
import { type NodeUsageReport, nodeUsageReportSchema } from "@tollgate/relay/protocol";
import type { Redis } from "ioredis";
import { z } from "zod";
import { webKey } from "@/lib/redis/web-redis";
import { KEPT_REPORT_TTL_MS, type KeptReport, type LiveUsageStore, MONOTONIC_FIGURES, SHOWN_FIGURES_GRACE_MS, type ShownFigures } from "./live-usage.types";

// KEYS[1] the app's reports; ARGV received-at ms, all nodes ("1"/"0"), TTL ms, then per report: relay id,
// measured-at ms, the kept entry's JSON. A node's entry is replaced only by a later measurement; with all
// nodes, entries of nodes that did not answer and arrived before this answer are dropped.
const KEEP_SCRIPT = `
local receivedAt = tonumber(ARGV[1])
local answering = {}
for i = 4, #ARGV, 3 do
  local relayId = ARGV[i]
  answering[relayId] = true
  local existing = redis.call("HGET", KEYS[1], relayId)
  if not existing or cjson.decode(existing).report.measuredAtUnixMs < tonumber(ARGV[i + 1]) then
    redis.call("HSET", KEYS[1], relayId, ARGV[i + 2])
  end
end
if ARGV[2] == "1" then
  local all = redis.call("HGETALL", KEYS[1])
  for i = 1, #all, 2 do
    if not answering[all[i]] and cjson.decode(all[i + 1]).receivedAtMs < receivedAt then
      redis.call("HDEL", KEYS[1], all[i])
    end
  end
end
redis.call("PEXPIRE", KEYS[1], ARGV[3])
`;

// KEYS[1] the period's shown figures; ARGV expire-at ms, then figure name and value pairs. Returns the
// highest value of each figure, in the order given.
const RAISE_SCRIPT = `
local highest = {}
for i = 2, #ARGV, 2 do
  local current = tonumber(redis.call("HGET", KEYS[1], ARGV[i])) or 0
  local candidate = tonumber(ARGV[i + 1])
  if candidate > current then
    redis.call("HSET", KEYS[1], ARGV[i], ARGV[i + 1])
    current = candidate
  end
  highest[#highest + 1] = tostring(current)
end
redis.call("PEXPIREAT", KEYS[1], ARGV[1])
return highest
`;

const keptReportSchema = z.object({ report: nodeUsageReportSchema, receivedAtMs: z.number() });

export class RedisLiveUsageStore implements LiveUsageStore {
  constructor(
    private readonly redis: Redis,
    /** Key names (tests give each run its own prefix). */
    private readonly keyOf: (...parts: string[]) => string = (...parts) => webKey("live-usage", ...parts),
  ) {}

  async keep(appId: string, reports: NodeUsageReport[], options: { receivedAtMs: number; allNodes: boolean }): Promise<void> {
    const entries = reports.flatMap((report) => [report.relayId, String(report.measuredAtUnixMs), JSON.stringify({ report, receivedAtMs: options.receivedAtMs })]);
    await this.redis.eval(KEEP_SCRIPT, 1, this.keyOf(appId, "nodes"), String(options.receivedAtMs), options.allNodes ? "1" : "0", String(KEPT_REPORT_TTL_MS), ...entries);
  }

  async reports(appId: string): Promise<KeptReport[]> {
    const entries = await this.redis.hvals(this.keyOf(appId, "nodes"));
    return entries.flatMap((entry) => {
      const parsed = keptReportSchema.safeParse(JSON.parse(entry));
      return parsed.success ? [parsed.data] : [];
    });
  }

  async raiseShown(appId: string, period: { startUnix: number; endUnix: number }, figures: ShownFigures): Promise<ShownFigures> {
    const pairs = MONOTONIC_FIGURES.flatMap((figure) => [figure, String(figures[figure])]);
    const expireAtMs = period.endUnix * 1000 + SHOWN_FIGURES_GRACE_MS;
    const highest = (await this.redis.eval(RAISE_SCRIPT, 1, this.keyOf(appId, "shown", String(period.startUnix)), String(expireAtMs), ...pairs)) as string[];
    return Object.fromEntries(MONOTONIC_FIGURES.map((figure, index) => [figure, Number(highest[index])])) as ShownFigures;
  }
}
