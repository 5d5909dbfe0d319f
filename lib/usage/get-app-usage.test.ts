// Live usage: saved totals plus what relay nodes report counting since, from a fake relay node over real
// HTTP (the real relay client) against a real database. A relay that stops answering stats must never
// make a figure go down, nor pile calls up on it.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { addMonthsUtc, billingPeriodAt, toUnixSeconds } from "@/lib/periods/billing-period";
import { createRelayClient } from "@/lib/relay/relay-client";
import { createTestApp, createUser, seedPlans, usageBatch, usageDelta } from "@/tests/helpers/fixtures";
import { type FakeRelay, startFakeRelay, unflushedUsage as unflushed } from "@/tests/helpers/route-harness";
import { createTestDatabase, type TestDatabase } from "@/tests/helpers/test-database";
import { applyUsageBatch } from "./apply-usage-batch";
import { getAppUsage } from "./get-app-usage";
import { createLiveUsageSource } from "./live-usage";
import type { LiveUsageStore, LiveUsageTiming } from "./live-usage.types";
import { MemoryLiveUsageStore } from "./memory-live-usage-store";
import { RedisLiveUsageStore } from "./redis-live-usage-store";
import type { UsageResponse } from "./usage.types";

const RELAY_SECRET = randomBytes(32).toString("base64url");
/** The production timing scaled down 10×: a stall of 2 s crosses the lateness threshold four times over. */
const TIMING: LiveUsageTiming = { callTimeoutMs: 250, waitMs: 80, lateAfterMs: 500 };

let database: TestDatabase;
let relay: FakeRelay;
const redis = new Redis(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });

beforeAll(async () => {
  [database, relay] = await Promise.all([createTestDatabase(), startFakeRelay(RELAY_SECRET)]);
  await seedPlans(database.db);
});
afterAll(async () => {
  await relay?.stop();
  await database?.drop();
  await redis.quit();
});
afterEach(() => {
  Object.assign(relay.state, { statsStalled: false, concurrentNow: 0, unflushed: [] });
  relay.state.unknownApps.clear();
});

async function newApp(planSlug = "starter") {
  const user = await createUser(database.db);
  const app = await createTestApp(database.db, { tenantId: user.tenantId, planSlug });
  const row = await database.db.app.findUniqueOrThrow({ where: { id: app.id } });
  const periodStartUnix = toUnixSeconds(billingPeriodAt(row.billingAnchor, new Date()).start);
  relay.periodStartOf = async () => periodStartUnix;
  return { id: app.id, periodStartUnix };
}

function liveSource(store: LiveUsageStore = new MemoryLiveUsageStore()) {
  return createLiveUsageSource({ relay: createRelayClient({ baseUrl: relay.url, relaySecret: RELAY_SECRET }), store, timing: TIMING });
}

const COUNTERS = ["messagesUsed", "peakConcurrent", "deliveredMessages", "egressBytes", "connectionMinutes", "overageMessages", "overageConnections", "softDrops", "overageCostMinor"] as const;
const counters = (usage: UsageResponse) => Object.fromEntries(COUNTERS.map((counter) => [counter, usage[counter]]));

describe("live usage", () => {
  it("adds the batches a relay reports as not yet applied to the saved totals, billable counters and cost included, and counts a batch once when it is applied", async () => {
    const app = await newApp();
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, { messagesAccepted: 1 })]));
    const pending = unflushed(app.periodStartUnix, {
      messagesAccepted: 200,
      deliveredMessages: 800,
      egressBytes: 40_000,
      egressBlocks: 800,
      connectionMinutes: 5,
      overageMessages: 5_000,
      overageConnections: 2,
      softDrops: 3,
    });
    relay.state.concurrentNow = 5;
    relay.state.unflushed = [pending];
    const live = liveSource();
    const first = await getAppUsage(database.db, { appId: app.id, live });
    expect(first).toMatchObject({
      concurrentNow: 5,
      messagesUsed: 201,
      deliveredMessages: 800,
      egressBytes: 40_000,
      connectionMinutes: 5,
      overageMessages: 5_000,
      overageConnections: 2,
      softDrops: 3,
      // 5,000 overage messages at 10 per 1,000 and 2 overage connections at 5, as the flush will charge them.
      overageCostMinor: 60,
      stale: false,
      relayReachable: true,
    });
    expect(Date.now() - Date.parse(first.measuredAt)).toBeLessThan(TIMING.lateAfterMs);

    // Applied, but the relay has not had the acknowledgement yet and still reports the batch: counted once.
    const { batchId, periodStartUnix: _period, ...counts } = pending;
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, counts)], batchId));
    expect(counters(await getAppUsage(database.db, { appId: app.id, live }))).toEqual(counters(first));
    relay.state.unflushed = [];
    expect(counters(await getAppUsage(database.db, { appId: app.id, live }))).toEqual(counters(first));
  });

  it("a relay that stops answering stats past the lateness threshold never makes a shown counter go down: connections stay at its last report, marked stale, and calls never pile up", async () => {
    const app = await newApp();
    relay.state.concurrentNow = 5;
    relay.state.unflushed = [unflushed(app.periodStartUnix, { messagesAccepted: 200, deliveredMessages: 800, connectionMinutes: 5 })];
    const live = liveSource();
    const before = await getAppUsage(database.db, { appId: app.id, live });
    expect(before).toMatchObject({ concurrentNow: 5, messagesUsed: 200, stale: false });

    relay.state.statsStalled = true;
    relay.statsInFlight.max = relay.statsInFlight.now;
    const seen: UsageResponse[] = [];
    const stallEndsAt = Date.now() + 4 * TIMING.lateAfterMs;
    while (Date.now() < stallEndsAt) seen.push(await getAppUsage(database.db, { appId: app.id, live }));
    relay.state.statsStalled = false;
    // The next call after the stall (one may still be out, timing out) brings fresh figures.
    let after = await getAppUsage(database.db, { appId: app.id, live });
    for (let attempt = 0; after.stale && attempt < 20; attempt++) after = await getAppUsage(database.db, { appId: app.id, live });

    for (const usage of [...seen, after]) {
      for (const counter of COUNTERS) expect({ counter, value: usage[counter] }).toEqual({ counter, value: before[counter] });
      expect(usage.concurrentNow).toBe(5);
    }
    const stale = seen.filter((usage) => usage.stale);
    expect(stale.length).toBeGreaterThan(0);
    // Once late, the answer says so and dates the figures to the node's last report.
    expect(seen.at(-1)).toMatchObject({ stale: true, relayReachable: false, measuredAt: before.measuredAt, status: { connections: "healthy" } });
    expect(seen.at(-1)?.relayNodes).toEqual([{ node: expect.any(String), measuredAt: before.measuredAt, stale: true }]);
    expect(relay.statsInFlight.max).toBe(1);
    expect(after).toMatchObject({ stale: false });
    expect(Date.parse(after.measuredAt)).toBeGreaterThan(Date.parse(before.measuredAt));
  });

  it("a figure already shown stays even when the node that reported it is gone before its batch was applied", async () => {
    const app = await newApp();
    relay.state.unflushed = [unflushed(app.periodStartUnix, { messagesAccepted: 7, deliveredMessages: 9 })];
    const live = liveSource();
    expect(await getAppUsage(database.db, { appId: app.id, live })).toMatchObject({ messagesUsed: 7, deliveredMessages: 9 });
    // A crashed node loses the counts it had not sent; the complete answer of its successor drops it.
    relay.state.unflushed = [];
    expect(await getAppUsage(database.db, { appId: app.id, live })).toMatchObject({ messagesUsed: 7, deliveredMessages: 9 });
  });

  it("web replicas sharing Redis show the figures one of them received, and stay fresh while the other's calls time out", async () => {
    const app = await newApp();
    const prefix = `test:${randomBytes(6).toString("hex")}`;
    const store = () => new RedisLiveUsageStore(redis, (...parts) => [prefix, ...parts].join(":"));
    const [replicaA, replicaB] = [liveSource(store()), liveSource(store())];
    relay.state.concurrentNow = 3;
    relay.state.unflushed = [unflushed(app.periodStartUnix, { messagesAccepted: 42 })];
    const seenByA = await getAppUsage(database.db, { appId: app.id, live: replicaA });
    relay.state.statsStalled = true;
    const seenByB = await getAppUsage(database.db, { appId: app.id, live: replicaB });
    expect(seenByB).toMatchObject({ concurrentNow: 3, messagesUsed: 42, stale: false, measuredAt: seenByA.measuredAt });
  });

  it("with no relay report yet and no answer, the saved totals are shown as stale; an app the relay has not loaded is fresh with nothing live", async () => {
    const app = await newApp();
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, { messagesAccepted: 4 })]));
    relay.state.statsStalled = true;
    expect(await getAppUsage(database.db, { appId: app.id, live: liveSource() })).toMatchObject({ messagesUsed: 4, concurrentNow: 0, stale: true, relayNodes: [] });
    relay.state.statsStalled = false;
    relay.state.unknownApps.add(app.id);
    expect(await getAppUsage(database.db, { appId: app.id, live: liveSource() })).toMatchObject({ messagesUsed: 4, concurrentNow: 0, stale: false });
  });

  it("counts of a relay still on the previous period do not count toward the new one; its connections do", async () => {
    const app = await newApp();
    const previousStartUnix = toUnixSeconds(addMonthsUtc(new Date(app.periodStartUnix * 1000), -1));
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, { messagesAccepted: 3, peakConcurrent: 2 })]));
    relay.periodStartOf = async () => previousStartUnix;
    relay.state.concurrentNow = 7;
    relay.state.unflushed = [unflushed(previousStartUnix, { messagesAccepted: 100_000, peakConcurrent: 40 })];
    expect(await getAppUsage(database.db, { appId: app.id, live: liveSource() })).toMatchObject({ messagesUsed: 3, peakConcurrent: 7, concurrentNow: 7 });
  });
});
