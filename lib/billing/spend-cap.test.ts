import { describe, expect, it } from "vitest";
import { loadRelayAppStates } from "@/lib/relay/load-app-states";
import { applyUsageBatch } from "@/lib/usage/apply-usage-batch";
import { billingPeriodAt, toUnixSeconds } from "@/lib/periods/billing-period";
import { createTestApp, createUser, TEST_ENCRYPTION_KEY, usageBatch, usageDelta } from "@/tests/helpers/fixtures";
import { databaseWithPlansPerFile } from "@/tests/helpers/database-per-file";
import type { TestDatabase } from "@/tests/helpers/test-database";
import { attemptAutoRecharge } from "./attempt-auto-recharge";
import { TestPaymentProvider } from "./payment-provider";
import { setAutoRecharge } from "./set-auto-recharge";
import { chargeWithinCapMinor, spendableBalanceMinor } from "./spend-cap";
import { getSpendControls, setSpendControls } from "./spend-controls";
import { spendControlsSchema } from "./spend-controls.types";
import { topUpBalance } from "./top-up-balance";

const GOOD_CARD = "4242424242424242";
const LATER_DECLINES_CARD = "4000000000000341";
let database: TestDatabase;
const provider = new TestPaymentProvider();
const actor = { id: null };

databaseWithPlansPerFile((created) => (database = created));

async function newApp(planSlug = "starter") {
  const user = await createUser(database.db);
  const app = await createTestApp(database.db, { tenantId: user.tenantId, planSlug });
  const row = await database.db.app.findUniqueOrThrow({ where: { id: app.id } });
  return { id: app.id, periodStartUnix: toUnixSeconds(billingPeriodAt(row.billingAnchor, new Date()).start) };
}

const eventsOf = (appId: string, type: string) => database.db.appEvent.findMany({ where: { appId, type } });
const snapshotAppOf = async (appId: string) => (await loadRelayAppStates(database.db, { appIds: [appId] }, { encryptionKey: TEST_ENCRYPTION_KEY })).apps.find((app) => app.appId === appId);

describe("the spendable balance relays see", () => {
  it("is the balance without a cap, and never more than what the cap leaves with one", () => {
    expect(spendableBalanceMinor(900, [{ capMinor: null, spentMinor: 10_000 }])).toBe(900);
    expect(spendableBalanceMinor(900, [{ capMinor: 150, spentMinor: 100 }])).toBe(50);
    expect(spendableBalanceMinor(900, [{ capMinor: 150, spentMinor: 400 }])).toBe(0);
    expect(spendableBalanceMinor(-20, [{ capMinor: 150, spentMinor: 0 }])).toBe(-20);
    expect(chargeWithinCapMinor(100, [{ capMinor: 150, spentMinor: 100 }])).toBe(50);
    expect(chargeWithinCapMinor(100, [{ capMinor: null, spentMinor: 100 }])).toBe(100);
    // The app's cap and the team's: the tighter one wins.
    expect(spendableBalanceMinor(900, [{ capMinor: 500, spentMinor: 100 }, { capMinor: 1000, spentMinor: 800 }])).toBe(200);
    expect(chargeWithinCapMinor(300, [{ capMinor: 500, spentMinor: 100 }, { capMinor: 1000, spentMinor: 800 }])).toBe(200);
  });
});

describe("monthly spend cap", () => {
  it("stops the team's usage charges at its cap and reads as an exhausted balance with no recharge once reached", async () => {
    const app = await newApp();
    await topUpBalance(database.db, provider, { actor, appId: app.id, amountMinor: 1000, cardNumber: GOOD_CARD });
    await setAutoRecharge(database.db, provider, { actor, appId: app.id, settings: { enabled: true, thresholdMinor: 100, amountMinor: 1000 } });
    await setSpendControls(database.db, { actor, appId: app.id, controls: { monthlySpendCapMinor: 10_000, teamMonthlySpendCapMinor: 150, autoRechargeMonthlyCeilingMinor: null } });
    expect(await snapshotAppOf(app.id)).toMatchObject({ billing: { balanceMinor: 150, autoRechargeEnabled: true } });

    // Starter bills overage messages at 10 per 1,000: 10,000 of them cost 100.
    const first = await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, { messagesAccepted: 10_000, overageMessages: 10_000 })]));
    expect(first.apps).toEqual([{ appId: app.id, balanceMinor: 50 }]);
    const second = await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, { messagesAccepted: 10_000, overageMessages: 10_000 })]));
    expect(second.apps).toEqual([{ appId: app.id, balanceMinor: 0 }]);
    const third = await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, { messagesAccepted: 10_000, overageMessages: 10_000 })]));
    expect(third.apps).toEqual([{ appId: app.id, balanceMinor: 0 }]);

    const debits = await database.db.ledgerEntry.findMany({ where: { appId: app.id, kind: "overage_debit" }, orderBy: { createdAt: "asc" } });
    expect(debits.map((entry) => entry.amountMinor)).toEqual([-100, -50]);
    const account = await database.db.billingAccount.findFirstOrThrow({ where: { tenant: { apps: { some: { id: app.id } } } } });
    expect(account.balanceMinor).toBe(850);
    expect(await getSpendControls(database.db, { appId: app.id })).toMatchObject({ usageChargesThisPeriodMinor: 150, team: { usageChargesThisMonthMinor: 150, spendCapReached: true } });
    expect(await snapshotAppOf(app.id)).toMatchObject({ billing: { balanceMinor: 0, autoRechargeEnabled: false } });
    // Announced although the app has a cap of its own (not reached): the team's was.
    expect(await eventsOf(app.id, "spend_cap.reached")).toHaveLength(1);

    // No card is charged for money that could not be spent.
    const recharge = await attemptAutoRecharge(database.db, provider, { appId: app.id, trigger: "relay:message" });
    expect(recharge).toMatchObject({ recharged: false, chargedMinor: 0 });
    expect(recharge.reason).toContain("spend cap");
  });

  it("an app's own cap stops that app only: the team's other apps keep spending the team's balance", async () => {
    const app = await newApp();
    const { tenantId } = await database.db.app.findUniqueOrThrow({ where: { id: app.id }, select: { tenantId: true } });
    const other = await createTestApp(database.db, { tenantId, planSlug: "starter" });
    await topUpBalance(database.db, provider, { actor, appId: app.id, amountMinor: 1000, cardNumber: GOOD_CARD });
    await setSpendControls(database.db, { actor, appId: app.id, controls: { monthlySpendCapMinor: 100 } });
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, { overageMessages: 20_000 })]));
    expect(await snapshotAppOf(app.id)).toMatchObject({ billing: { balanceMinor: 0 } });
    expect(await snapshotAppOf(other.id)).toMatchObject({ billing: { balanceMinor: 900 } });
    expect(await eventsOf(app.id, "spend_cap.reached")).toHaveLength(1);
    expect(await eventsOf(other.id, "spend_cap.reached")).toHaveLength(0);
  });

  it("raising the cap gives the relay room again", async () => {
    const app = await newApp();
    await topUpBalance(database.db, provider, { actor, appId: app.id, amountMinor: 1000, cardNumber: GOOD_CARD });
    await setSpendControls(database.db, { actor, appId: app.id, controls: { monthlySpendCapMinor: 100 } });
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, { overageMessages: 20_000 })]));
    expect(await snapshotAppOf(app.id)).toMatchObject({ billing: { balanceMinor: 0 } });
    await setSpendControls(database.db, { actor, appId: app.id, controls: { monthlySpendCapMinor: 400 } });
    expect(await snapshotAppOf(app.id)).toMatchObject({ billing: { balanceMinor: 300 } });
  });

  it("validates the amounts", () => {
    expect(spendControlsSchema.safeParse({ monthlySpendCapMinor: 99, autoRechargeMonthlyCeilingMinor: null }).success).toBe(false);
    expect(spendControlsSchema.safeParse({ monthlySpendCapMinor: 12.5, autoRechargeMonthlyCeilingMinor: null }).success).toBe(false);
    expect(spendControlsSchema.safeParse({ autoRechargeMonthlyCeilingMinor: 5000 }).success).toBe(false);
    expect(spendControlsSchema.safeParse({ monthlySpendCapMinor: null, teamMonthlySpendCapMinor: 50 }).success).toBe(false);
    expect(spendControlsSchema.safeParse({ monthlySpendCapMinor: null, autoRechargeMonthlyCeilingMinor: 5000 }).success).toBe(true);
    // The team's guardrails may be left out: they stay as they are.
    expect(spendControlsSchema.safeParse({ monthlySpendCapMinor: null }).success).toBe(true);
  });
});

describe("monthly auto-recharge ceiling", () => {
  it("refuses a recharge that would pass the ceiling, and says so once", async () => {
    const app = await newApp();
    await setAutoRecharge(database.db, provider, { actor, appId: app.id, settings: { enabled: true, thresholdMinor: 500, amountMinor: 2000, cardNumber: GOOD_CARD } });
    await setSpendControls(database.db, { actor, appId: app.id, controls: { monthlySpendCapMinor: null, autoRechargeMonthlyCeilingMinor: 3000 } });
    expect(await attemptAutoRecharge(database.db, provider, { appId: app.id, trigger: "usage" })).toMatchObject({ recharged: true, chargedMinor: 2000 });
    await database.db.billingAccount.updateMany({ where: { tenant: { apps: { some: { id: app.id } } } }, data: { balanceMinor: 0 } });
    for (let i = 0; i < 2; i++) {
      const refused = await attemptAutoRecharge(database.db, provider, { appId: app.id, trigger: "usage" });
      expect(refused).toMatchObject({ recharged: false, chargedMinor: 0, reason: "The monthly auto-recharge ceiling is reached" });
    }
    const attempts = await database.db.paymentAttempt.findMany({ where: { billingAccount: { tenant: { apps: { some: { id: app.id } } } } } });
    expect(attempts.map((a) => [a.status, a.amountMinor])).toEqual([["succeeded", 2000]]);
    expect(await eventsOf(app.id, "auto_recharge.ceiling_reached")).toHaveLength(1);
    expect(await getSpendControls(database.db, { appId: app.id })).toMatchObject({ team: { autoRechargeMonthlyCeilingMinor: 3000, autoRechargedThisMonthMinor: 2000 } });
  });
});

describe("a declined auto-recharge", () => {
  it("is announced once per card and period, however often it is retried", async () => {
    const app = await newApp();
    await setAutoRecharge(database.db, provider, { actor, appId: app.id, settings: { enabled: true, thresholdMinor: 100, amountMinor: 1000, cardNumber: LATER_DECLINES_CARD } });
    await attemptAutoRecharge(database.db, provider, { appId: app.id, trigger: "relay:connection" });
    await attemptAutoRecharge(database.db, provider, { appId: app.id, trigger: "relay:connection", now: new Date(Date.now() + 120_000) });
    const events = await eventsOf(app.id, "auto_recharge.declined");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ severity: "critical", data: { cardLast4: "0341", amountMinor: 1000 } });
    expect(events[0]?.title).toContain("declined");
  });
});
