// One wallet per team (issue 27): the team's apps pay from one balance, topped up once, recharged once,
// with relays of every app of the team told when it runs out; a paid app is paid for when created; the
// pay-as-you-go free allowance is the team's.
import { describe, expect, it } from "vitest";
import { createApp } from "@/lib/apps/create-app";
import { DomainError } from "@/lib/errors";
import { billingPeriodAt, toUnixSeconds } from "@/lib/periods/billing-period";
import { loadRelayAppStates } from "@/lib/relay/load-app-states";
import { applyUsageBatch } from "@/lib/usage/apply-usage-batch";
import { createTestApp, createUser, TEST_ENCRYPTION_KEY, usageBatch, usageDelta } from "@/tests/helpers/fixtures";
import { databaseWithPlansPerFile } from "@/tests/helpers/database-per-file";
import type { TestDatabase } from "@/tests/helpers/test-database";
import { attemptAutoRecharge } from "./attempt-auto-recharge";
import { getBilling } from "./get-billing";
import { getUpcomingInvoice } from "./get-invoice";
import { TestPaymentProvider } from "./payment-provider";
import { setAutoRecharge } from "./set-auto-recharge";
import { topUpBalance } from "./top-up-balance";

const GOOD_CARD = "4242424242424242";
let database: TestDatabase;
const provider = new TestPaymentProvider();
const actor = { id: null };

databaseWithPlansPerFile((created) => (database = created));

async function teamWithApps(count: number, planSlug = "starter") {
  const owner = await createUser(database.db);
  const apps: { id: string; periodStartUnix: number }[] = [];
  for (let index = 0; index < count; index++) {
    const app = await createTestApp(database.db, { tenantId: owner.tenantId, planSlug });
    const row = await database.db.app.findUniqueOrThrow({ where: { id: app.id } });
    apps.push({ id: app.id, periodStartUnix: toUnixSeconds(billingPeriodAt(row.billingAnchor, new Date()).start) });
  }
  return { tenantId: owner.tenantId, apps };
}

const balanceOf = async (tenantId: string) => (await database.db.billingAccount.findUniqueOrThrow({ where: { tenantId } })).balanceMinor;
const relayBalance = async (appId: string) =>
  (await loadRelayAppStates(database.db, { appIds: [appId] }, { encryptionKey: TEST_ENCRYPTION_KEY })).apps.find((app) => app.appId === appId)?.billing.balanceMinor;
const versionOf = async (appId: string) => (await database.db.app.findUniqueOrThrow({ where: { id: appId }, select: { relayVersion: true } })).relayVersion;

describe("the team's wallet", () => {
  it("is topped up once from any app and pays the usage of all its apps, each debit naming its app", async () => {
    const { tenantId, apps } = await teamWithApps(2);
    const [chat, feed] = apps as [(typeof apps)[0], (typeof apps)[0]];
    expect(await database.db.billingAccount.count({ where: { tenantId } })).toBe(1);
    await topUpBalance(database.db, provider, { actor, appId: chat.id, amountMinor: 1000, cardNumber: GOOD_CARD });
    // Both apps' relays see the one balance.
    expect(await relayBalance(chat.id)).toBe(1000);
    expect(await relayBalance(feed.id)).toBe(1000);

    // One batch with both apps (10,000 overage messages on Starter cost 100): each is answered with the team's balance after the batch.
    const ack = await applyUsageBatch(database.db, usageBatch([usageDelta(chat.id, chat.periodStartUnix, { overageMessages: 10_000 }), usageDelta(feed.id, feed.periodStartUnix, { overageMessages: 30_000 })]));
    expect(ack.apps).toEqual([
      { appId: chat.id, balanceMinor: 600 },
      { appId: feed.id, balanceMinor: 600 },
    ]);
    expect(await balanceOf(tenantId)).toBe(600);
    const debits = await database.db.ledgerEntry.findMany({ where: { billingAccount: { tenantId }, kind: "overage_debit" }, orderBy: { amountMinor: "desc" } });
    expect(debits.map((entry) => [entry.appId, entry.amountMinor])).toEqual([
      [chat.id, -100],
      [feed.id, -300],
    ]);
    // The ledger adds up to the balance, to the cent.
    const sum = await database.db.ledgerEntry.aggregate({ where: { billingAccount: { tenantId } }, _sum: { amountMinor: true } });
    expect(sum._sum.amountMinor).toBe(600);

    // The team's next invoice: a line per app, the top-up listed once as a payment of the team.
    const upcoming = await getUpcomingInvoice(database.db, { tenantId });
    expect(upcoming.lines.map((line) => [line.appId, line.kind, line.amountMinor])).toEqual([
      [chat.id, "overage", 100],
      [feed.id, "overage", 300],
    ]);
    expect(upcoming.payments).toEqual([expect.objectContaining({ appId: null, appName: "Team wallet", amountMinor: 1000 })]);
  });

  it("exhausted by one app, is exhausted for every app of the team: the change feed moves them all", async () => {
    const { tenantId, apps } = await teamWithApps(3);
    const [spender, quiet, third] = apps as [(typeof apps)[0], (typeof apps)[0], (typeof apps)[0]];
    await topUpBalance(database.db, provider, { actor, appId: spender.id, amountMinor: 150, cardNumber: GOOD_CARD });
    const before = await Promise.all([quiet.id, third.id].map(versionOf));
    // A flush that keeps the balance positive moves no version (usage counts never do).
    await applyUsageBatch(database.db, usageBatch([usageDelta(spender.id, spender.periodStartUnix, { overageMessages: 10_000 })]));
    expect(await Promise.all([quiet.id, third.id].map(versionOf))).toEqual(before);
    // The flush that exhausts it moves every app of the team.
    const ack = await applyUsageBatch(database.db, usageBatch([usageDelta(spender.id, spender.periodStartUnix, { overageMessages: 10_000 })]));
    expect(ack.apps).toEqual([{ appId: spender.id, balanceMinor: -50 }]);
    const after = await Promise.all([quiet.id, third.id].map(versionOf));
    expect(after[0]).toBeGreaterThan(before[0] ?? 0n);
    expect(after[1]).toBeGreaterThan(before[1] ?? 0n);
    expect(await relayBalance(quiet.id)).toBe(-50);
    expect(await balanceOf(tenantId)).toBe(-50);
  });

  it("is recharged once for the team, whichever app asks, and the recharge reaches every app's relays", async () => {
    const { tenantId, apps } = await teamWithApps(2);
    const [first, second] = apps as [(typeof apps)[0], (typeof apps)[0]];
    await setAutoRecharge(database.db, provider, { actor, appId: first.id, settings: { enabled: true, thresholdMinor: 100, amountMinor: 2000, cardNumber: GOOD_CARD } });
    const versionBefore = await versionOf(second.id);
    const [a, b] = await Promise.all([
      attemptAutoRecharge(database.db, provider, { appId: first.id, trigger: "relay:message" }),
      attemptAutoRecharge(database.db, provider, { appId: second.id, trigger: "relay:connection" }),
    ]);
    expect([a.recharged, b.recharged]).toEqual([true, true]);
    expect(a.chargedMinor + b.chargedMinor).toBe(2000);
    expect(await database.db.paymentAttempt.count({ where: { billingAccount: { tenantId }, kind: "auto_recharge" } })).toBe(1);
    expect(await balanceOf(tenantId)).toBe(2000);
    expect(await versionOf(second.id)).toBeGreaterThan(versionBefore);
  });
});

describe("creating an app on a paid plan", () => {
  it("pays the first period's fee from the team's balance at once", async () => {
    const { tenantId, apps } = await teamWithApps(1, "free");
    await topUpBalance(database.db, provider, { actor, appId: apps[0]?.id ?? "", amountMinor: 5000, cardNumber: GOOD_CARD });
    const app = await createApp(database.db, { tenantId, name: "paid", planSlug: "starter", payFirstPeriodWith: provider });
    const plan = await database.db.plan.findUniqueOrThrow({ where: { slug: "starter" } });
    expect(await balanceOf(tenantId)).toBe(5000 - plan.monthlyPriceMinor);
    const fee = await database.db.ledgerEntry.findFirstOrThrow({ where: { appId: app.id, kind: "plan_fee" } });
    expect(fee.amountMinor).toBe(-plan.monthlyPriceMinor);
    expect(await database.db.appSubscription.findUniqueOrThrow({ where: { appId: app.id } })).toMatchObject({ status: "active" });
  });

  it("charges the team's card when the balance is short, and leaves the balance for usage", async () => {
    const { tenantId, apps } = await teamWithApps(1, "free");
    await setAutoRecharge(database.db, provider, { actor, appId: apps[0]?.id ?? "", settings: { enabled: false, thresholdMinor: 100, amountMinor: 1000, cardNumber: GOOD_CARD } });
    const app = await createApp(database.db, { tenantId, name: "paid by card", planSlug: "starter", payFirstPeriodWith: provider });
    expect(await balanceOf(tenantId)).toBe(0);
    const kinds = await database.db.ledgerEntry.findMany({ where: { billingAccount: { tenantId } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: { kind: true, appId: true } });
    expect(kinds).toEqual([
      { kind: "card_payment", appId: null },
      { kind: "plan_fee", appId: app.id },
    ]);
  });

  it("is refused with payment_failed when neither balance nor card can pay, and no app is created", async () => {
    const { tenantId } = await teamWithApps(0);
    const refused = await createApp(database.db, { tenantId, name: "unpaid", planSlug: "starter", payFirstPeriodWith: provider }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ code: "payment_failed", field: "planSlug" });
    expect(await database.db.app.count({ where: { tenantId } })).toBe(0);
    expect(await database.db.ledgerEntry.count({ where: { billingAccount: { tenantId } } })).toBe(0);
  });
});

describe("the pay-as-you-go free allowance", () => {
  it("is the team's, shared by its pay-as-you-go apps: a second app brings no fresh allowance", async () => {
    const { tenantId, apps } = await teamWithApps(2, "payg");
    const [first, second] = apps as [(typeof apps)[0], (typeof apps)[0]];
    // Payg's allowance: 1,000,000 delivered messages and 100,000 connection-minutes a month.
    const firstAck = await applyUsageBatch(database.db, usageBatch([usageDelta(first.id, first.periodStartUnix, { deliveredMessages: 600_000, connectionMinutes: 60_000 })]));
    expect(firstAck.apps).toEqual([{ appId: first.id, balanceMinor: 0 }]);
    const versionBefore = await versionOf(first.id);
    // The second app's usage takes the 400,000 and 40,000 left; the rest is charged:
    // 200,000 delivered × 5 / 1,000 = 1,000 and 20,000 minutes × 10 / 1,000 = 200.
    const secondAck = await applyUsageBatch(database.db, usageBatch([usageDelta(second.id, second.periodStartUnix, { deliveredMessages: 600_000, connectionMinutes: 60_000 })]));
    expect(secondAck.apps).toEqual([{ appId: second.id, balanceMinor: -1200 }]);
    const debit = await database.db.ledgerEntry.findFirstOrThrow({ where: { appId: second.id, kind: "overage_debit" } });
    expect(debit.breakdown).toEqual({ deliveredMessagesMinor: 1000, connectionMinutesMinor: 200 });
    // Used up: the first app's relays now need a balance for its usage too, and are told through the feed.
    expect(await versionOf(first.id)).toBeGreaterThan(versionBefore);
    const state = (await loadRelayAppStates(database.db, { appIds: [first.id] }, { encryptionKey: TEST_ENCRYPTION_KEY })).apps[0];
    expect(state?.billing.usageBilledFromBalance).toBe(true);
    // The first app's next usage is charged in full.
    const more = await applyUsageBatch(database.db, usageBatch([usageDelta(first.id, first.periodStartUnix, { deliveredMessages: 10_000 })]));
    expect(more.apps).toEqual([{ appId: first.id, balanceMinor: -1250 }]);
    // Both billing pages show the one allowance, used up.
    const billing = await getBilling(database.db, { appId: second.id });
    expect(billing.allowance).toMatchObject({ deliveredMessages: { used: 1_000_000, free: 1_000_000 }, connectionMinutes: { used: 100_000, free: 100_000 } });
    expect(await balanceOf(tenantId)).toBe(-1250);
  });
});
