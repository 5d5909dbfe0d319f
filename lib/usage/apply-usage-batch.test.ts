import { describe, expect, it, vi } from "vitest";
import type { JobHelpers } from "graphile-worker";
import { databaseNow } from "@/lib/db-clock";
import { JobName, jobTasks } from "@/lib/jobs/job-tasks";
import { loadRelayAppStates } from "@/lib/relay/load-app-states";
import { setAutoRecharge } from "@/lib/billing/set-auto-recharge";
import { TestPaymentProvider } from "@/lib/billing/payment-provider";
import { topUpBalance } from "@/lib/billing/top-up-balance";
import { createApiKey } from "@/lib/keys/create-api-key";
import { addMonthsUtc, billingPeriodAt, toUnixSeconds } from "@/lib/periods/billing-period";
import { queuedJobs } from "@/tests/helpers/queued-jobs";
import { databaseWithPlansPerFile } from "@/tests/helpers/database-per-file";
import type { TestDatabase } from "@/tests/helpers/test-database";
import { createTestApp, createUser, TEST_ENCRYPTION_KEY, usageBatch, usageDelta } from "@/tests/helpers/fixtures";
import { applyUsageBatch } from "./apply-usage-batch";
import { getAppUsage } from "./get-app-usage";
import { getUsageSeries } from "./get-usage-series";

let database: TestDatabase;
const provider = new TestPaymentProvider();
const actor = { id: null };

databaseWithPlansPerFile((created) => (database = created));

async function newApp(planSlug = "starter") {
  const user = await createUser(database.db);
  const app = await createTestApp(database.db, { tenantId: user.tenantId, planSlug });
  const row = await database.db.app.findUniqueOrThrow({ where: { id: app.id } });
  const period = billingPeriodAt(row.billingAnchor, new Date());
  return { id: app.id, anchor: row.billingAnchor, periodStartUnix: toUnixSeconds(period.start) };
}

describe("usage batches", () => {
  it("apply exactly once: a retried batch is acknowledged but not counted again", async () => {
    const app = await newApp();
    const batch = usageBatch([usageDelta(app.id, app.periodStartUnix, { messagesAccepted: 10, deliveredMessages: 30, egressBytes: 900, egressBlocks: 30, peakConcurrent: 4 })]);
    const first = await applyUsageBatch(database.db, batch);
    const retry = await applyUsageBatch(database.db, batch);
    expect(first.applied).toBe(true);
    expect(retry).toMatchObject({ applied: false, apps: [{ appId: app.id, balanceMinor: 0 }] });
    // Both answers carry the period count that contains the batch: the relay adopts it as its baseline.
    expect(first.periods).toEqual([{ appId: app.id, periodStartUnix: app.periodStartUnix, messagesUsed: 10 }]);
    expect(retry.periods).toEqual([{ appId: app.id, periodStartUnix: app.periodStartUnix, messagesUsed: 10 }]);
    expect(retry.asOfUnixMs).toBeGreaterThanOrEqual(first.asOfUnixMs);
    const usage = await getAppUsage(database.db, { appId: app.id, live: null });
    expect(usage).toMatchObject({ messagesUsed: 10, deliveredMessages: 30, egressBytes: 900, peakConcurrent: 4, relayReachable: false, concurrentNow: 0 });
  });

  it("are acknowledged on the database's clock, not the replica's: a replica an hour fast cannot make a later snapshot look older", async () => {
    const app = await newApp();
    const realNow = Date.now();
    // This replica's clock runs an hour ahead; another replica (the real clock) builds the next snapshot.
    vi.useFakeTimers({ now: realNow + 3_600_000, toFake: ["Date"] });
    let ack: Awaited<ReturnType<typeof applyUsageBatch>>;
    try {
      ack = await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, { messagesAccepted: 1 })]));
    } finally {
      vi.useRealTimers();
    }
    const snapshot = await loadRelayAppStates(database.db, { appIds: [app.id] }, { encryptionKey: TEST_ENCRYPTION_KEY, now: await databaseNow(database.db) });

    expect(Math.abs(ack.asOfUnixMs - realNow)).toBeLessThan(60_000);
    expect(snapshot.generatedAtUnixMs).toBeGreaterThanOrEqual(ack.asOfUnixMs);
  });

  it("apply exactly once when the same batch arrives twice at the same time", async () => {
    const app = await newApp();
    const batch = usageBatch([usageDelta(app.id, app.periodStartUnix, { messagesAccepted: 5 })]);
    const results = await Promise.all([applyUsageBatch(database.db, batch), applyUsageBatch(database.db, batch)]);
    expect(results.map((r) => r.applied).sort()).toEqual([false, true]);
    expect((await getAppUsage(database.db, { appId: app.id, live: null })).messagesUsed).toBe(5);
  });

  it("sum counters across batches and keep the maximum peak", async () => {
    const app = await newApp();
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, { messagesAccepted: 3, peakConcurrent: 9, softDrops: 1, closesByCode: { "4010": 2 } })]));
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, { messagesAccepted: 4, peakConcurrent: 5, softDrops: 2, closesByCode: { "4010": 1, "1000": 3 } })]));
    const usage = await getAppUsage(database.db, { appId: app.id, live: null });
    expect(usage).toMatchObject({ messagesUsed: 7, peakConcurrent: 9, softDrops: 3 });
    const series = await getUsageSeries(database.db, { appId: app.id, range: "hour" });
    expect(series.outcomes.closesByCode).toEqual({ "4010": 3, "1000": 3 });
  });

  it("write per-minute samples that charts bucket", async () => {
    const app = await newApp();
    const minuteUnix = Math.floor(Date.now() / 60_000) * 60 - 120;
    const sample = { minuteUnix, messages: 4, delivered: 8, egressBytes: 100, connectionMinutes: 2, peakConcurrent: 3, softDrops: 1 };
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, { samples: [sample] })]));
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, { samples: [{ ...sample, peakConcurrent: 7 }] })]));
    const hour = await getUsageSeries(database.db, { appId: app.id, range: "hour" });
    expect(hour.points).toHaveLength(60);
    expect(hour.points.find((p) => p.tUnix === minuteUnix)).toEqual({
      tUnix: minuteUnix,
      messages: 8,
      softDrops: 2,
      peakMessagesPerMinute: 8,
      peakSoftDropsPerMinute: 2,
      delivered: 16,
      egressBytes: 200,
      connectionMinutes: 4,
      peakConcurrent: 7,
    });
    const day = await getUsageSeries(database.db, { appId: app.id, range: "day" });
    expect(day.points).toHaveLength(96);
    expect(day.points.reduce((sum, p) => sum + p.messages, 0)).toBe(8);
    expect(day.outcomes).toMatchObject({ delivered: 16, softDrops: 2 });
  });

  it("coarse buckets show the busiest minute and the highest concurrency, not an average", async () => {
    const app = await newApp();
    const dayRangeBucketSec = 15 * 60;
    // Fifteen minutes, all in one 15-minute bucket that ended at least one bucket ago: one busy
    // minute (600 accepted, 30 refused) among quiet ones; 8 connections open throughout.
    const bucketStartUnix = Math.floor(Date.now() / 1000 / dayRangeBucketSec) * dayRangeBucketSec - dayRangeBucketSec;
    const samples = Array.from({ length: 15 }, (_, i) => ({
      minuteUnix: bucketStartUnix + i * 60,
      messages: i === 6 ? 600 : 10,
      delivered: 0,
      egressBytes: 0,
      connectionMinutes: 8,
      peakConcurrent: 8,
      softDrops: i === 6 ? 30 : 0,
    }));
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, { samples })]));
    const day = await getUsageSeries(database.db, { appId: app.id, range: "day" });
    const bucket = day.points.find((p) => p.tUnix === bucketStartUnix);
    expect(bucket).toMatchObject({ messages: 740, softDrops: 30, peakMessagesPerMinute: 600, peakSoftDropsPerMinute: 30, peakConcurrent: 8 });
  });

  it("price overage units and debit the balance through the ledger", async () => {
    const app = await newApp("starter");
    await topUpBalance(database.db, provider, { actor, appId: app.id, amountMinor: 1000, cardNumber: "4242424242424242" });
    const result = await applyUsageBatch(
      database.db,
      usageBatch([usageDelta(app.id, app.periodStartUnix, { messagesAccepted: 5000, overageMessages: 5000, overageConnections: 2 })]),
    );
    // Starter: 10 per 1,000 overage messages + 5 per overage connection = 50 + 10
    expect(result.apps).toEqual([{ appId: app.id, balanceMinor: 940 }]);
    const entries = await database.db.ledgerEntry.findMany({ where: { billingAccount: { tenant: { apps: { some: { id: app.id } } } }, kind: "overage_debit" } });
    expect(entries).toMatchObject([{ amountMinor: -60, balanceAfterMinor: 940 }]);
    const usage = await getAppUsage(database.db, { appId: app.id, live: null });
    expect(usage).toMatchObject({ overageMessages: 5000, overageConnections: 2, overageCostMinor: 60, balanceMinor: 940 });
  });

  it("charge pay-as-you-go usage only beyond the free allowance", async () => {
    const app = await newApp("payg");
    const big = { deliveredMessages: 1_000_000, connectionMinutes: 100_000 };
    const withinAllowance = await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, big)]));
    expect(withinAllowance.apps).toEqual([{ appId: app.id, balanceMinor: 0 }]);
    const beyond = await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, { deliveredMessages: 20_000, connectionMinutes: 3_000 })]));
    // 20,000 delivered × 5 / 1,000 = 100; 3,000 minutes × 10 / 1,000 = 30
    expect(beyond.apps).toEqual([{ appId: app.id, balanceMinor: -130 }]);
  });

  it("queue an auto-recharge job when a debit takes the balance to its threshold, acknowledged without waiting for the card", async () => {
    const app = await newApp("starter");
    await setAutoRecharge(database.db, provider, { actor, appId: app.id, settings: { enabled: true, thresholdMinor: 50, amountMinor: 2000, cardNumber: "4242424242424242" } });
    const result = await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, { overageMessages: 10_000 })]));
    // −100 for 10,000 overage messages; the card is not charged yet
    expect(result.apps).toEqual([{ appId: app.id, balanceMinor: -100 }]);
    const jobs = (await queuedJobs(database.db, JobName.autoRecharge)).filter((job) => job.payload.appId === app.id);
    // One job per team: the team's wallet is what is recharged.
    const { tenantId } = await database.db.app.findUniqueOrThrow({ where: { id: app.id }, select: { tenantId: true } });
    expect(jobs.map((job) => job.key)).toEqual([`auto-recharge:${tenantId}`]);

    // The job: a recharge of 2,000 plus the 100 of debt.
    await jobTasks(database.db)[JobName.autoRecharge]?.({ appId: app.id }, {} as JobHelpers);
    const kinds = (await database.db.ledgerEntry.findMany({ where: { billingAccount: { tenant: { apps: { some: { id: app.id } } } } }, orderBy: { createdAt: "asc" } })).map((e) => e.kind);
    expect(kinds).toEqual(["overage_debit", "auto_recharge"]);
    expect((await database.db.billingAccount.findFirstOrThrow({ where: { tenant: { apps: { some: { id: app.id } } } } })).balanceMinor).toBe(2000);
  });

  it("count a batch for the previous period in that period (roll-over)", async () => {
    const app = await newApp();
    const previousStart = addMonthsUtc(new Date(app.periodStartUnix * 1000), -1);
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, toUnixSeconds(previousStart), { messagesAccepted: 42 })]));
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, { messagesAccepted: 1 })]));
    const periods = await database.db.usagePeriod.findMany({ where: { appId: app.id }, orderBy: { start: "asc" } });
    expect(periods.map((p) => [p.start.toISOString(), Number(p.messagesUsed)])).toEqual([
      [previousStart.toISOString(), 42],
      [new Date(app.periodStartUnix * 1000).toISOString(), 1],
    ]);
    expect((await getAppUsage(database.db, { appId: app.id, live: null })).messagesUsed).toBe(1);
  });

  it("mark the keys used in the batch as used", async () => {
    const app = await newApp();
    const key = await createApiKey(database.db, { appId: app.id, kind: "secret", name: "k", encryptionKey: TEST_ENCRYPTION_KEY });
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, { byKey: { [key.id]: { messages: 1, connections: 1 } } })]));
    expect((await database.db.apiKey.findUniqueOrThrow({ where: { id: key.id } })).lastUsedAt).toBeInstanceOf(Date);
  });

  it("acknowledge usage of a deleted app without failing the batch", async () => {
    const app = await newApp();
    const result = await applyUsageBatch(database.db, usageBatch([usageDelta("app_deleted_long_ago", app.periodStartUnix, { messagesAccepted: 1 }), usageDelta(app.id, app.periodStartUnix, { messagesAccepted: 2 })]));
    expect(result).toMatchObject({ applied: true, apps: [{ appId: app.id, balanceMinor: 0 }], periods: [{ appId: app.id, messagesUsed: 2 }] });
  });
});
