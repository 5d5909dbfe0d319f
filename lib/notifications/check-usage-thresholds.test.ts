// Usage alerts follow the numbers an app has now: after a flush and after an admin lowers a limit below
// the current use, each level is raised once per period however often the check runs.
import { describe, expect, it } from "vitest";
import { billingPeriodAt, toUnixSeconds } from "@/lib/periods/billing-period";
import { AHEAD_OF_DELIVERIES } from "@/lib/jobs/enqueue-job";
import { setAppOverride } from "@/lib/plans/set-app-override";
import { applyUsageBatch } from "@/lib/usage/apply-usage-batch";
import { createTestApp, createUser, usageBatch, usageDelta } from "@/tests/helpers/fixtures";
import { queuedJobs } from "@/tests/helpers/queued-jobs";
import { databaseWithPlansPerFile } from "@/tests/helpers/database-per-file";
import type { TestDatabase } from "@/tests/helpers/test-database";
import { checkUsageThresholds, reachedThresholds, thresholdCount, USAGE_THRESHOLDS_JOB, usageThresholdEvents } from "./check-usage-thresholds";

let database: TestDatabase;
databaseWithPlansPerFile((created) => (database = created));

describe("reached thresholds", () => {
  it("are the levels the count has reached, rounding each level up", () => {
    expect(reachedThresholds(749, 1000)).toEqual([]);
    expect(reachedThresholds(750, 1000)).toEqual([75]);
    expect(reachedThresholds(999, 1000)).toEqual([75, 90]);
    expect(reachedThresholds(5000, 1000)).toEqual([75, 90, 100]);
    expect(thresholdCount(10, 75)).toBe(8);
    expect(reachedThresholds(7, 10)).toEqual([]);
    expect(reachedThresholds(1, 1)).toEqual([75, 90, 100]);
  });

  it("are none for an unlimited or zero limit", () => {
    expect(reachedThresholds(10 ** 9, null)).toEqual([]);
    expect(reachedThresholds(5, 0)).toEqual([]);
  });

  const facts = {
    periodStartUnix: 7,
    limits: { maxMessagesPerPeriod: 1000, maxConcurrentConnections: 10, maxActiveChannels: null },
    peakActiveChannels: 0,
    raised: { messages: [], connections: [], channels: [] },
    cause: "usage" as const,
    limitSource: { messages: "plan" as const, connections: "override" as const, channels: "plan" as const },
    overageBilling: false,
  };

  it("are one alert per axis for the highest level reached, naming the levels passed with it, why, and what happens at 100 %", () => {
    expect(usageThresholdEvents({ ...facts, messagesUsed: 950, peakConcurrent: 10 })).toEqual([
      { type: "usage.threshold", axis: "messages", percent: 90, used: 950, limit: 1000, periodStartUnix: 7, passed: [75], cause: "usage", limitSource: "plan" },
      { type: "usage.threshold", axis: "connections", percent: 100, used: 10, limit: 10, periodStartUnix: 7, passed: [75, 90], cause: "usage", limitSource: "override", overageBilling: false },
    ]);
  });

  it("include the app's peak active channels against maxActiveChannels, which has no overage", () => {
    const channels = { ...facts, limits: { ...facts.limits, maxActiveChannels: 20 }, messagesUsed: 0, peakConcurrent: 0 };
    expect(usageThresholdEvents({ ...channels, peakActiveChannels: 14 })).toEqual([]);
    expect(usageThresholdEvents({ ...channels, peakActiveChannels: 20, overageBilling: true })).toEqual([
      { type: "usage.threshold", axis: "channels", percent: 100, used: 20, limit: 20, periodStartUnix: 7, passed: [75, 90], cause: "usage", limitSource: "plan", overageBilling: false },
    ]);
  });

  it("stay quiet for levels at or below one already raised, and name only the levels passed since", () => {
    expect(usageThresholdEvents({ ...facts, messagesUsed: 950, peakConcurrent: 10, raised: { messages: [90], connections: [75], channels: [] } })).toEqual([
      { type: "usage.threshold", axis: "connections", percent: 100, used: 10, limit: 10, periodStartUnix: 7, passed: [90], cause: "usage", limitSource: "override", overageBilling: false },
    ]);
  });
});

describe("the usage alert check", () => {
  it("raises what an app's period reached once, and more after an admin lowers a limit below the use", async () => {
    const user = await createUser(database.db);
    const app = await createTestApp(database.db, { tenantId: user.tenantId, planSlug: "starter" });
    const row = await database.db.app.findUniqueOrThrow({ where: { id: app.id } });
    const period = billingPeriodAt(row.billingAnchor, new Date());
    await database.db.appLimitOverride.create({ data: { appId: app.id, maxMessagesPerPeriod: 1000 } });
    await database.db.usagePeriod.create({ data: { appId: app.id, start: period.start, end: period.end, messagesUsed: 800n, peakConcurrent: 2 } });

    expect(await checkUsageThresholds(database.db, { appId: app.id })).toBe(1);
    expect(await checkUsageThresholds(database.db, { appId: app.id })).toBe(0);
    await database.db.appLimitOverride.update({ where: { appId: app.id }, data: { maxMessagesPerPeriod: 500 } });
    expect(await checkUsageThresholds(database.db, { appId: app.id, cause: "limit_lowered" })).toBe(1);
    expect(await checkUsageThresholds(database.db, { appId: app.id, cause: "limit_lowered" })).toBe(0);

    const events = await database.db.appEvent.findMany({ where: { appId: app.id, type: "usage.threshold" }, orderBy: { createdAt: "asc" } });
    expect(events.map((event) => (event.data as { percent: number }).percent)).toEqual([75, 100]);
    expect(events[1]?.message).toBe(
      "800 of 500 messages this period: 100% of the limit an administrator set for this app. An administrator lowered the limit below what the app already uses. (This also passes 90%.) Further messages are refused until the next period or a higher limit.",
    );
    expect(events.every((event) => (event.data as { periodStartUnix: number }).periodStartUnix === toUnixSeconds(period.start))).toBe(true);
  });

  it("raises the active channels level a flush's peak reached against the app's maxActiveChannels", async () => {
    const user = await createUser(database.db);
    const app = await createTestApp(database.db, { tenantId: user.tenantId, planSlug: "starter" });
    const anchor = (await database.db.app.findUniqueOrThrow({ where: { id: app.id } })).billingAnchor;
    const periodStartUnix = toUnixSeconds(billingPeriodAt(anchor, new Date()).start);
    await database.db.appLimitOverride.create({ data: { appId: app.id, maxActiveChannels: 10 } });
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, periodStartUnix, { peakActiveChannels: 8 })]));
    // A lower peak from another node's batch never lowers the period's.
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, periodStartUnix, { peakActiveChannels: 3 })]));
    expect(await checkUsageThresholds(database.db, { appId: app.id })).toBe(1);
    const [event] = await database.db.appEvent.findMany({ where: { appId: app.id, type: "usage.threshold" } });
    expect(event?.data).toMatchObject({ axis: "channels", percent: 75, used: 8, limit: 10, limitSource: "override" });
    expect(event?.message).toBe("8 of 10 active channels: 75% of the limit an administrator set for this app.");
  });

  it("is queued by a flush that moves an app's counts and by an admin lowering its limits, once per app and period", async () => {
    const user = await createUser(database.db);
    const app = await createTestApp(database.db, { tenantId: user.tenantId, planSlug: "starter" });
    const anchor = (await database.db.app.findUniqueOrThrow({ where: { id: app.id } })).billingAnchor;
    const periodStartUnix = toUnixSeconds(billingPeriodAt(anchor, new Date()).start);
    const checksOf = async () => (await queuedJobs(database.db, USAGE_THRESHOLDS_JOB)).filter((job) => job.payload.appId === app.id);

    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, periodStartUnix, { softDrops: 1 })]));
    expect(await checksOf()).toEqual([]);
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, periodStartUnix, { messagesAccepted: 5 })]));
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, periodStartUnix, { messagesAccepted: 5 })]));
    expect(await checksOf()).toMatchObject([{ payload: { appId: app.id, periodStartUnix }, priority: AHEAD_OF_DELIVERIES }]);

    await setAppOverride(database.db, { actor: { id: null }, appId: app.id, changes: { maxMessagesPerPeriod: 10 } });
    expect((await checksOf()).map((job) => job.payload)).toEqual([{ appId: app.id, periodStartUnix }, { appId: app.id, cause: "limit_lowered" }]);
  });
});
