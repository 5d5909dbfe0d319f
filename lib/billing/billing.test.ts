import { describe, expect, it } from "vitest";
import { databaseWithPlansPerFile } from "@/tests/helpers/database-per-file";
import type { TestDatabase } from "@/tests/helpers/test-database";
import { createTestApp, createUser } from "@/tests/helpers/fixtures";
import { AUTO_RECHARGE_RETRY_AFTER_DECLINE_MS, attemptAutoRecharge } from "./attempt-auto-recharge";
import { getBilling } from "./get-billing";
import { TestPaymentProvider } from "./payment-provider";
import { setAutoRecharge } from "./set-auto-recharge";
import { topUpBalance } from "./top-up-balance";

let database: TestDatabase;
const provider = new TestPaymentProvider();
const actor = { id: null };
const GOOD_CARD = "4242 4242 4242 4242";
const DECLINED_CARD = "4000000000000002";
const LATER_DECLINES_CARD = "4000-0000-0000-0341";

databaseWithPlansPerFile((created) => (database = created));

async function newApp(planSlug = "starter") {
  const user = await createUser(database.db);
  return createTestApp(database.db, { tenantId: user.tenantId, planSlug });
}

async function ledgerOf(appId: string) {
  return database.db.ledgerEntry.findMany({ where: { billingAccount: { tenant: { apps: { some: { id: appId } } } } }, orderBy: { createdAt: "asc" } });
}

describe("top-ups", () => {
  it("credit the balance with a ledger entry and store the first card", async () => {
    const app = await newApp();
    const result = await topUpBalance(database.db, provider, { actor, appId: app.id, amountMinor: 2500, cardNumber: GOOD_CARD });
    expect(result.balanceMinor).toBe(2500);
    expect(result.entry).toMatchObject({ kind: "top_up", amountMinor: 2500, balanceAfterMinor: 2500 });
    await topUpBalance(database.db, provider, { actor, appId: app.id, amountMinor: 500, cardNumber: GOOD_CARD });
    const ledger = await ledgerOf(app.id);
    expect(ledger.map((e) => [e.amountMinor, e.balanceAfterMinor])).toEqual([
      [2500, 2500],
      [500, 3000],
    ]);
    const billing = await getBilling(database.db, { appId: app.id });
    expect(billing.paymentMethod).toMatchObject({ last4: "4242" });
    expect(billing.attempts.map((a) => a.status)).toEqual(["succeeded", "succeeded"]);
  });

  it("without a card number charge the card on file, and ask for one when there is none", async () => {
    const app = await newApp();
    await expect(topUpBalance(database.db, provider, { actor, appId: app.id, amountMinor: 1000 })).rejects.toMatchObject({ code: "unprocessable", field: "cardNumber" });
    await topUpBalance(database.db, provider, { actor, appId: app.id, amountMinor: 1000, cardNumber: GOOD_CARD });
    const result = await topUpBalance(database.db, provider, { actor, appId: app.id, amountMinor: 700 });
    expect(result.balanceMinor).toBe(1700);
    expect(result.entry.description).toBe("Top-up with card ending 4242");
  });

  it("a declined card moves no money, is recorded as an attempt and answered payment_failed", async () => {
    const app = await newApp();
    await expect(topUpBalance(database.db, provider, { actor, appId: app.id, amountMinor: 1000, cardNumber: DECLINED_CARD })).rejects.toMatchObject({
      code: "payment_failed",
      field: "cardNumber",
    });
    const billing = await getBilling(database.db, { appId: app.id });
    expect(billing.balanceMinor).toBe(0);
    expect(billing.ledger).toHaveLength(0);
    expect(billing.attempts).toMatchObject([{ kind: "top_up", status: "declined" }]);
  });

  it("an unknown card number is a validation error on cardNumber", async () => {
    const app = await newApp();
    await expect(topUpBalance(database.db, provider, { actor, appId: app.id, amountMinor: 1000, cardNumber: "1234123412341234" })).rejects.toMatchObject({
      code: "unprocessable",
      field: "cardNumber",
    });
  });

  it("concurrent top-ups never lose a credit", async () => {
    const app = await newApp();
    await Promise.all(Array.from({ length: 10 }, () => topUpBalance(database.db, provider, { actor, appId: app.id, amountMinor: 100, cardNumber: GOOD_CARD })));
    const ledger = await ledgerOf(app.id);
    expect((await getBilling(database.db, { appId: app.id })).balanceMinor).toBe(1000);
    expect(ledger.map((e) => e.balanceAfterMinor).sort((a, b) => a - b)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  });
});

describe("auto-recharge", () => {
  it("cannot be enabled without a card", async () => {
    const app = await newApp();
    await expect(
      setAutoRecharge(database.db, provider, { actor, appId: app.id, settings: { enabled: true, thresholdMinor: 100, amountMinor: 1000 } }),
    ).rejects.toMatchObject({ field: "cardNumber" });
  });

  it("is refused when off", async () => {
    const app = await newApp();
    const outcome = await attemptAutoRecharge(database.db, provider, { appId: app.id, trigger: "test" });
    expect(outcome).toMatchObject({ recharged: false, balanceMinor: 0, reason: "Auto-recharge is off" });
  });

  it("charges the stored card when the balance is at or below the threshold, once for concurrent callers", async () => {
    const app = await newApp();
    await setAutoRecharge(database.db, provider, { actor, appId: app.id, settings: { enabled: true, thresholdMinor: 100, amountMinor: 1000, cardNumber: GOOD_CARD } });
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => attemptAutoRecharge(database.db, provider, { appId: app.id, trigger: "relay:message" })));
    expect(outcomes.every((o) => o.recharged)).toBe(true);
    expect(outcomes.filter((o) => o.chargedMinor > 0)).toHaveLength(1);
    const ledger = await ledgerOf(app.id);
    expect(ledger).toMatchObject([{ kind: "auto_recharge", amountMinor: 1000, balanceAfterMinor: 1000 }]);
  });

  it("covers a negative balance on top of the configured amount", async () => {
    const app = await newApp();
    await setAutoRecharge(database.db, provider, { actor, appId: app.id, settings: { enabled: true, thresholdMinor: 0, amountMinor: 1000, cardNumber: GOOD_CARD } });
    await database.db.billingAccount.updateMany({ where: { tenant: { apps: { some: { id: app.id } } } }, data: { balanceMinor: -250 } });
    const outcome = await attemptAutoRecharge(database.db, provider, { appId: app.id, trigger: "usage" });
    expect(outcome).toMatchObject({ recharged: true, chargedMinor: 1250, balanceMinor: 1000 });
  });

  it("a declining card is refused with the reason, and not retried within the back-off", async () => {
    const app = await newApp();
    await setAutoRecharge(database.db, provider, {
      actor,
      appId: app.id,
      settings: { enabled: true, thresholdMinor: 100, amountMinor: 1000, cardNumber: LATER_DECLINES_CARD },
    });
    const first = await attemptAutoRecharge(database.db, provider, { appId: app.id, trigger: "relay:connection" });
    expect(first).toMatchObject({ recharged: false, balanceMinor: 0 });
    expect(first.reason).toContain("declined");
    const second = await attemptAutoRecharge(database.db, provider, { appId: app.id, trigger: "relay:connection" });
    expect(second.reason).toContain("recently");
    const later = new Date(Date.now() + AUTO_RECHARGE_RETRY_AFTER_DECLINE_MS + 1000);
    await attemptAutoRecharge(database.db, provider, { appId: app.id, trigger: "relay:connection", now: later });
    const attempts = await database.db.paymentAttempt.findMany({ where: { billingAccount: { tenant: { apps: { some: { id: app.id } } } } } });
    expect(attempts.map((a) => a.status)).toEqual(["declined", "declined"]);
    expect(await ledgerOf(app.id)).toHaveLength(0);
  });

  it("after a decline, a newly saved card is tried at once (the back-off is the declined card's)", async () => {
    const app = await newApp();
    await setAutoRecharge(database.db, provider, {
      actor,
      appId: app.id,
      settings: { enabled: true, thresholdMinor: 100, amountMinor: 1000, cardNumber: LATER_DECLINES_CARD },
    });
    const declined = await attemptAutoRecharge(database.db, provider, { appId: app.id, trigger: "relay:connection" });
    expect(declined.reason).toContain("declined");
    await setAutoRecharge(database.db, provider, { actor, appId: app.id, settings: { enabled: true, thresholdMinor: 100, amountMinor: 1000, cardNumber: GOOD_CARD } });
    const retried = await attemptAutoRecharge(database.db, provider, { appId: app.id, trigger: "relay:connection" });
    expect(retried).toMatchObject({ recharged: true, chargedMinor: 1000, balanceMinor: 1000 });
    const attempts = await database.db.paymentAttempt.findMany({ where: { billingAccount: { tenant: { apps: { some: { id: app.id } } } } }, orderBy: { createdAt: "asc" } });
    expect(attempts.map((a) => [a.status, a.paymentMethodRef])).toEqual([
      ["declined", "pm_test_0341"],
      ["succeeded", "pm_test_4242"],
    ]);
  });

  it("is not charged while the balance is above the threshold", async () => {
    const app = await newApp();
    await topUpBalance(database.db, provider, { actor, appId: app.id, amountMinor: 5000, cardNumber: GOOD_CARD });
    await setAutoRecharge(database.db, provider, { actor, appId: app.id, settings: { enabled: true, thresholdMinor: 100, amountMinor: 1000 } });
    const outcome = await attemptAutoRecharge(database.db, provider, { appId: app.id, trigger: "relay:message" });
    expect(outcome).toMatchObject({ recharged: true, chargedMinor: 0, balanceMinor: 5000 });
  });
});
