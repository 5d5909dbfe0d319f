// Plan fees against a real database: upgrades charged (balance, card) or refused, idempotency under
// concurrency, downgrades at the period end, renewals, past due with grace and the Free fallback.
import { describe, expect, it } from "vitest";
import { databaseWithPlansPerFile } from "@/tests/helpers/database-per-file";
import type { TestDatabase } from "@/tests/helpers/test-database";
import { createTestApp, createUser, TEST_ENCRYPTION_KEY } from "@/tests/helpers/fixtures";
import { addMonthsUtc, billingPeriodAt } from "@/lib/periods/billing-period";
import { loadRelayAppStates } from "@/lib/relay/load-app-states";
import { changePlan } from "./change-plan";
import { TestPaymentProvider } from "./payment-provider";
import { proratedMinor } from "./proration";
import { renewApp, renewDueSubscriptions } from "./renew-subscription";
import { setAutoRecharge } from "./set-auto-recharge";
import { topUpBalance } from "./top-up-balance";

let database: TestDatabase;
const provider = new TestPaymentProvider();
const actor = { id: null };
const GOOD_CARD = "4242424242424242";
const LATER_DECLINES_CARD = "4000000000000341";
const GRACE_MS = 3 * 86_400_000;

databaseWithPlansPerFile((created) => (database = created));

async function newApp(planSlug = "free") {
  const user = await createUser(database.db);
  const app = await createTestApp(database.db, { tenantId: user.tenantId, planSlug });
  const row = await database.db.app.findUniqueOrThrow({ where: { id: app.id }, select: { billingAnchor: true } });
  return { ...app, anchor: row.billingAnchor };
}

async function fund(appId: string, amountMinor: number) {
  await topUpBalance(database.db, provider, { actor, appId, amountMinor, cardNumber: GOOD_CARD });
}

async function ledgerOf(appId: string) {
  return database.db.ledgerEntry.findMany({ where: { billingAccount: { tenant: { apps: { some: { id: appId } } } } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
}

async function balanceOf(appId: string) {
  return (await database.db.billingAccount.findFirstOrThrow({ where: { tenant: { apps: { some: { id: appId } } } } })).balanceMinor;
}

async function replaceCard(appId: string, cardNumber: string) {
  await setAutoRecharge(database.db, provider, { actor, appId, settings: { enabled: false, thresholdMinor: 0, amountMinor: 1000, cardNumber } });
}

/** An app that paid Starter's fee for this period from its balance (now empty) and whose card declines the next. */
async function starterAppWhoseRenewalDeclines() {
  const app = await newApp();
  await fund(app.id, 2900);
  const period = billingPeriodAt(app.anchor, new Date());
  await changePlan(database.db, provider, { actor, appId: app.id, planSlug: "starter", now: period.start });
  await replaceCard(app.id, LATER_DECLINES_CARD);
  return { app, period };
}

async function snapshotApp(appId: string, now: Date) {
  const snapshot = await loadRelayAppStates(database.db, { appIds: [appId] }, { encryptionKey: TEST_ENCRYPTION_KEY, now });
  const found = snapshot.apps.find((app) => app.appId === appId);
  if (!found) throw new Error("app missing from the snapshot");
  return found;
}

describe("upgrading", () => {
  it("charges the prorated fee from the balance, as a plan_fee ledger entry of the period, audited", async () => {
    const app = await newApp();
    await fund(app.id, 5000);
    const period = billingPeriodAt(app.anchor, new Date());
    const at = new Date(period.start.getTime() + (period.end.getTime() - period.start.getTime()) / 2);
    const result = await changePlan(database.db, provider, { actor, appId: app.id, planSlug: "starter", now: at });
    const expected = proratedMinor(2900, period, at);
    expect(result).toMatchObject({ outcome: "upgraded", planSlug: "starter", chargedMinor: expected, paidWith: "balance" });
    expect(expected).toBeGreaterThan(1400);
    expect(expected).toBeLessThan(1500);
    expect(await balanceOf(app.id)).toBe(5000 - expected);
    const fee = (await ledgerOf(app.id)).find((entry) => entry.kind === "plan_fee");
    expect(fee).toMatchObject({ amountMinor: -expected, periodStart: period.start });
    const audit = await database.db.auditLog.findFirst({ where: { targetId: app.id, action: "app.plan_change" } });
    expect(audit?.after).toMatchObject({ planSlug: "starter", chargedMinor: expected, paidWith: "balance" });
  });

  it("charges the stored card for the whole fee when the balance is short, keeping the balance", async () => {
    const app = await newApp();
    await fund(app.id, 100); // also stores the card
    const result = await changePlan(database.db, provider, { actor, appId: app.id, planSlug: "growth" });
    expect(result).toMatchObject({ outcome: "upgraded", paidWith: "card" });
    expect(await balanceOf(app.id)).toBe(100);
    const kinds = (await ledgerOf(app.id)).map((entry) => [entry.kind, entry.amountMinor]);
    expect(kinds).toEqual([
      ["top_up", 100],
      ["card_payment", result.chargedMinor],
      ["plan_fee", -result.chargedMinor],
    ]);
  });

  it("is refused with payment_failed (402) and charges nothing when neither balance nor card can pay", async () => {
    const app = await newApp();
    await expect(changePlan(database.db, provider, { actor, appId: app.id, planSlug: "growth" })).rejects.toMatchObject({
      code: "payment_failed",
      httpStatus: 402,
      message: expect.stringContaining("no card on file"),
    });
    const row = await database.db.app.findUniqueOrThrow({ where: { id: app.id }, select: { plan: { select: { slug: true } } } });
    expect(row.plan.slug).toBe("free");
    expect(await ledgerOf(app.id)).toHaveLength(0);
  });

  it("a declining card is refused with the card's reason and the attempt is kept", async () => {
    const app = await newApp();
    await replaceCard(app.id, LATER_DECLINES_CARD);
    await expect(changePlan(database.db, provider, { actor, appId: app.id, planSlug: "starter" })).rejects.toMatchObject({
      code: "payment_failed",
      message: expect.stringContaining("declined"),
    });
    const attempts = await database.db.paymentAttempt.findMany({ where: { billingAccount: { tenant: { apps: { some: { id: app.id } } } } } });
    expect(attempts).toMatchObject([{ kind: "plan_fee", status: "declined", paymentMethodRef: "pm_test_0341" }]);
  });

  it("ten concurrent requests with one idempotency key charge once", async () => {
    const app = await newApp();
    await fund(app.id, 20_000);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => changePlan(database.db, provider, { actor, appId: app.id, planSlug: "growth", idempotencyKey: "same-click" })),
    );
    expect(results.filter((result) => !result.replayed)).toHaveLength(1);
    expect(new Set(results.map((result) => result.chargedMinor)).size).toBe(1);
    const fees = (await ledgerOf(app.id)).filter((entry) => entry.kind === "plan_fee");
    expect(fees).toHaveLength(1);
    expect(await balanceOf(app.id)).toBe(20_000 + (fees[0]?.amountMinor ?? 0));
  });

  it("concurrent requests without a key charge once too (the second finds the plan already changed)", async () => {
    const app = await newApp();
    await fund(app.id, 20_000);
    const results = await Promise.all(Array.from({ length: 5 }, () => changePlan(database.db, provider, { actor, appId: app.id, planSlug: "starter" })));
    expect(results.filter((result) => result.outcome === "upgraded")).toHaveLength(1);
    expect((await ledgerOf(app.id)).filter((entry) => entry.kind === "plan_fee")).toHaveLength(1);
  });

  it("from a paid plan, credits the unused rest of the current fee", async () => {
    const app = await newApp();
    await fund(app.id, 50_000);
    const period = billingPeriodAt(app.anchor, new Date());
    await changePlan(database.db, provider, { actor, appId: app.id, planSlug: "starter", now: period.start });
    const at = new Date(period.start.getTime() + (period.end.getTime() - period.start.getTime()) / 2);
    const result = await changePlan(database.db, provider, { actor, appId: app.id, planSlug: "growth", now: at });
    expect(result.creditedMinor).toBe(proratedMinor(2900, period, at));
    expect(result.chargedMinor).toBe(proratedMinor(9900, period, at) - proratedMinor(2900, period, at));
    expect((await ledgerOf(app.id)).map((entry) => entry.kind)).toEqual(["top_up", "plan_fee", "plan_credit", "plan_fee"]);
  });
});

describe("downgrading", () => {
  it("takes effect at the period end without a credit; choosing the current plan again cancels it", async () => {
    const app = await newApp();
    await fund(app.id, 50_000);
    const period = billingPeriodAt(app.anchor, new Date());
    await changePlan(database.db, provider, { actor, appId: app.id, planSlug: "growth", now: period.start });
    const scheduled = await changePlan(database.db, provider, { actor, appId: app.id, planSlug: "starter" });
    expect(scheduled).toMatchObject({ outcome: "scheduled", planSlug: "growth", scheduledPlanSlug: "starter", chargedMinor: 0, effectiveAt: period.end.toISOString() });
    expect(await changePlan(database.db, provider, { actor, appId: app.id, planSlug: "growth" })).toMatchObject({ outcome: "cancelled_schedule" });
    await changePlan(database.db, provider, { actor, appId: app.id, planSlug: "free" });
    const balanceBefore = await balanceOf(app.id);
    // Across the period end the downgrade applies, and Free renews for nothing.
    expect(await renewApp(database.db, provider, { appId: app.id, now: new Date(period.end.getTime() + 1000), graceMs: GRACE_MS })).toBe("renewed");
    const row = await database.db.app.findUniqueOrThrow({ where: { id: app.id }, select: { plan: { select: { slug: true } } } });
    expect(row.plan.slug).toBe("free");
    expect(await balanceOf(app.id)).toBe(balanceBefore);
  });
});

describe("renewals", () => {
  it("charge the full fee at each period start, once however many sweeps run at the same time", async () => {
    const app = await newApp();
    await fund(app.id, 20_000);
    const period = billingPeriodAt(app.anchor, new Date());
    await changePlan(database.db, provider, { actor, appId: app.id, planSlug: "starter", now: period.start });
    const nextStart = addMonthsUtc(period.start, 1);
    const justAfter = new Date(nextStart.getTime() + 1000);
    await Promise.all(Array.from({ length: 5 }, () => renewDueSubscriptions(database.db, provider, { now: justAfter, graceMs: GRACE_MS })));
    await renewApp(database.db, provider, { appId: app.id, now: justAfter, graceMs: GRACE_MS });
    const fees = (await ledgerOf(app.id)).filter((entry) => entry.kind === "plan_fee");
    expect(fees.map((entry) => [entry.amountMinor, entry.periodStart?.toISOString()])).toEqual([
      [-2900, period.start.toISOString()],
      [-2900, nextStart.toISOString()],
    ]);
  });

  it("that cannot be paid make the app past due; after the grace period the relay gets Free's limits; paying restores the plan", async () => {
    const { app, period } = await starterAppWhoseRenewalDeclines();
    expect(await balanceOf(app.id)).toBe(0);
    const nextStart = addMonthsUtc(period.start, 1);
    expect(await renewApp(database.db, provider, { appId: app.id, now: new Date(nextStart.getTime() + 1000), graceMs: GRACE_MS })).toBe("past_due");
    const subscription = await database.db.appSubscription.findUniqueOrThrow({ where: { appId: app.id } });
    expect(subscription).toMatchObject({
      status: "past_due",
      amountDueMinor: 2900,
      graceEndsAt: new Date(nextStart.getTime() + GRACE_MS),
      declinedPaymentMethodRef: "pm_test_0341",
    });
    // The team is told once (dashboard, email and webhooks drain from the outbox), however often sweeps run.
    await renewDueSubscriptions(database.db, provider, { now: new Date(nextStart.getTime() + 2000), graceMs: GRACE_MS });
    const failedEvents = await database.db.appEvent.findMany({ where: { appId: app.id, type: "plan_fee.failed" } });
    expect(failedEvents).toHaveLength(1);
    expect(failedEvents[0]?.data).toMatchObject({ planName: "Starter", amountMinor: 2900 });

    // Within the grace period: still Starter's limits.
    const inGrace = await snapshotApp(app.id, new Date(nextStart.getTime() + GRACE_MS - 60_000));
    expect(inGrace.limits.maxConcurrentConnections).toBe(1000);
    // After it: Free's limits, overages off.
    const afterGrace = new Date(nextStart.getTime() + GRACE_MS + 60_000);
    const fallen = await snapshotApp(app.id, afterGrace);
    expect(fallen).toMatchObject({ planName: "Free (plan fee past due)", limits: { maxConcurrentConnections: 100, maxMessagesPerPeriod: 100_000 } });
    expect(fallen.billing.overagesEnabled).toBe(false);
    // A sweep with nothing new to pay with changes nothing.
    await renewDueSubscriptions(database.db, provider, { now: afterGrace, graceMs: GRACE_MS });
    expect((await database.db.appSubscription.findUniqueOrThrow({ where: { appId: app.id } })).status).toBe("past_due");

    // A top-up lets the next sweep pay the fee, and the plan's limits come back.
    await fund(app.id, 3000);
    await renewDueSubscriptions(database.db, provider, { now: afterGrace, graceMs: GRACE_MS });
    expect((await database.db.appSubscription.findUniqueOrThrow({ where: { appId: app.id } })).status).toBe("active");
    expect(await balanceOf(app.id)).toBe(100);
    expect((await snapshotApp(app.id, afterGrace)).limits.maxConcurrentConnections).toBe(1000);
  });

  it("announce the end of the grace period once (plan_fee.grace_ended), when the relay starts giving Free's limits and not before", async () => {
    const { app, period } = await starterAppWhoseRenewalDeclines();
    const nextStart = addMonthsUtc(period.start, 1);
    const graceEndsAt = new Date(nextStart.getTime() + GRACE_MS);
    const graceEndedEvents = () => database.db.appEvent.findMany({ where: { appId: app.id, type: "plan_fee.grace_ended" }, include: { deliveries: true } });
    expect(await renewApp(database.db, provider, { appId: app.id, now: new Date(nextStart.getTime() + 1000), graceMs: GRACE_MS })).toBe("past_due");

    // Sweeps and page loads (renewApp) within the grace period, up to its last second, say nothing more.
    const lastGraceSecond = new Date(graceEndsAt.getTime() - 1000);
    await Promise.all([
      renewDueSubscriptions(database.db, provider, { now: lastGraceSecond, graceMs: GRACE_MS }),
      renewApp(database.db, provider, { appId: app.id, now: lastGraceSecond, graceMs: GRACE_MS }),
    ]);
    expect(await graceEndedEvents()).toHaveLength(0);
    expect((await snapshotApp(app.id, lastGraceSecond)).planName).toBe("Starter");

    // Past it: concurrent sweeps and repeated reads store the event once, with its outbox (email; webhooks when configured).
    const afterGrace = new Date(graceEndsAt.getTime() + 1000);
    await Promise.all([
      ...Array.from({ length: 4 }, () => renewDueSubscriptions(database.db, provider, { now: afterGrace, graceMs: GRACE_MS })),
      ...Array.from({ length: 3 }, () => renewApp(database.db, provider, { appId: app.id, now: afterGrace, graceMs: GRACE_MS })),
    ]);
    await renewDueSubscriptions(database.db, provider, { now: new Date(afterGrace.getTime() + 3_600_000), graceMs: GRACE_MS });
    const events = await graceEndedEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      severity: "critical",
      data: { planName: "Starter", amountMinor: 2900, periodStartUnix: Math.floor(nextStart.getTime() / 1000), graceEndsAt: graceEndsAt.toISOString() },
    });
    expect(events[0]?.deliveries.map((delivery) => delivery.channel)).toEqual(["email"]);
    expect((await snapshotApp(app.id, afterGrace)).planName).toBe("Free (plan fee past due)");
    // Distinct from the failed fee, which was announced once at the renewal.
    expect(await database.db.appEvent.count({ where: { appId: app.id, type: "plan_fee.failed" } })).toBe(1);
  });

  it("a renewal first run after the grace period would have ended announces the failed fee and the fallback together", async () => {
    const { app, period } = await starterAppWhoseRenewalDeclines();
    const nextStart = addMonthsUtc(period.start, 1);
    expect(await renewApp(database.db, provider, { appId: app.id, now: new Date(nextStart.getTime() + GRACE_MS + 60_000), graceMs: GRACE_MS })).toBe("past_due");
    const types = (await database.db.appEvent.findMany({ where: { appId: app.id }, orderBy: { createdAt: "asc" } })).map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(["plan_fee.failed", "plan_fee.grace_ended"]));
  });

  it("a past-due app can still move to Free at once", async () => {
    const { app, period } = await starterAppWhoseRenewalDeclines();
    const inNext = new Date(addMonthsUtc(period.start, 1).getTime() + 1000);
    await renewApp(database.db, provider, { appId: app.id, now: inNext, graceMs: GRACE_MS });
    const result = await changePlan(database.db, provider, { actor, appId: app.id, planSlug: "free", now: inNext });
    expect(result).toMatchObject({ outcome: "switched", planSlug: "free" });
    expect((await database.db.appSubscription.findUniqueOrThrow({ where: { appId: app.id } })).status).toBe("active");
  });
});
