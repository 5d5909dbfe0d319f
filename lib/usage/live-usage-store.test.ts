// One suite for both live usage stores: in memory (one web process) and in Redis (shared by replicas).
import { randomBytes } from "node:crypto";
import type { NodeUsageReport } from "@tollgate/relay/protocol";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { type LiveUsageStore, MONOTONIC_FIGURES, type ShownFigures } from "./live-usage.types";
import { MemoryLiveUsageStore } from "./memory-live-usage-store";
import { RedisLiveUsageStore } from "./redis-live-usage-store";

const redis = new Redis(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });
afterAll(() => redis.quit());

const implementations: [string, () => LiveUsageStore][] = [
  ["in memory", () => new MemoryLiveUsageStore()],
  [
    "in Redis",
    () => {
      const prefix = `test:${randomBytes(6).toString("hex")}`;
      return new RedisLiveUsageStore(redis, (...parts) => [prefix, ...parts].join(":"));
    },
  ],
];

function report(relayId: string, measuredAtUnixMs: number, connections: number): NodeUsageReport {
  return { relayId, measuredAtUnixMs, periodStartUnix: 1_000, connections, activeChannels: 0, peakConcurrent: connections, unflushed: [] };
}

const zero = Object.fromEntries(MONOTONIC_FIGURES.map((figure) => [figure, 0])) as ShownFigures;
const period = { startUnix: 1_000, endUnix: Math.floor(Date.now() / 1000) + 3_600 };

describe.each(implementations)("live usage store %s", (_name, make) => {
  it("keeps each node's latest measurement, whatever order the answers arrive in", async () => {
    const store = make();
    await store.keep("app_1", [report("a", 2_000, 5), report("b", 2_000, 1)], { receivedAtMs: 10, allNodes: true });
    await store.keep("app_1", [report("a", 1_000, 9)], { receivedAtMs: 11, allNodes: false });
    await store.keep("app_1", [report("b", 3_000, 2)], { receivedAtMs: 12, allNodes: false });
    const kept = await store.reports("app_1");
    expect(kept.map((entry) => [entry.report.relayId, entry.report.connections, entry.receivedAtMs]).sort()).toEqual([
      ["a", 5, 10],
      ["b", 2, 12],
    ]);
    expect(await store.reports("app_2")).toEqual([]);
  });

  it("an answer from every node drops the nodes it does not list (gone), an incomplete one keeps them (late)", async () => {
    const store = make();
    await store.keep("app_1", [report("a", 1_000, 5), report("old", 1_000, 3)], { receivedAtMs: 10, allNodes: true });
    await store.keep("app_1", [report("a", 2_000, 5)], { receivedAtMs: 20, allNodes: false });
    expect((await store.reports("app_1")).map((entry) => entry.report.relayId).sort()).toEqual(["a", "old"]);
    await store.keep("app_1", [report("a", 3_000, 5)], { receivedAtMs: 30, allNodes: true });
    expect((await store.reports("app_1")).map((entry) => entry.report.relayId)).toEqual(["a"]);
  });

  it("the shown figures of a period only go up, each on its own, and periods are apart", async () => {
    const store = make();
    expect(await store.raiseShown("app_1", period, { ...zero, messagesUsed: 201, deliveredMessages: 800 })).toMatchObject({ messagesUsed: 201, deliveredMessages: 800 });
    expect(await store.raiseShown("app_1", period, { ...zero, messagesUsed: 1, deliveredMessages: 1_600 })).toMatchObject({ messagesUsed: 201, deliveredMessages: 1_600, softDrops: 0 });
    expect(await store.raiseShown("app_1", { ...period, startUnix: 2_000 }, zero)).toEqual(zero);
    expect(await store.raiseShown("app_2", period, zero)).toEqual(zero);
  });
});
