// Money moves exactly once, whatever process asks: charges are written before the provider is called,
// the provider is never called while a row lock is held, a crash in between is settled by the job, and
// two processes racing one Idempotency-Key charge once.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createTestApp, createUser } from "@/tests/helpers/fixtures";
import { databaseWithPlansPerFile } from "@/tests/helpers/database-per-file";
import type { TestDatabase } from "@/tests/helpers/test-database";
import { billingPeriodAt } from "@/lib/periods/billing-period";
import { attemptAutoRecharge } from "./attempt-auto-recharge";
import { changePlan } from "./change-plan";
import { settlePendingCharges, writePendingCharge } from "./charge-card";
import { type ChargeResult, type PaymentProvider, TestPaymentProvider } from "./payment-provider";
import { renewApp } from "./renew-subscription";
import { setAutoRecharge } from "./set-auto-recharge";
import { topUpBalance } from "./top-up-balance";

const execFileAsync = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..", "..");
const actor = { id: null };
const GOOD_CARD = "4242424242424242";

let database: TestDatabase;
databaseWithPlansPerFile((created) => (database = created));

/** An app on Free with a good card on file and an empty balance. */
async function appWithCard() {
  const user = await createUser(database.db);
  const app = await createTestApp(database.db, { tenantId: user.tenantId, planSlug: "free" });
  await setAutoRecharge(database.db, new TestPaymentProvider(), { actor, appId: app.id, settings: { enabled: false, thresholdMinor: 0, amountMinor: 1000, cardNumber: GOOD_CARD } });
  return app;
}

async function moneyOf(appId: string) {
  const account = await database.db.billingAccount.findFirstOrThrow({ where: { tenant: { apps: { some: { id: appId } } } }, include: { ledgerEntries: true, paymentAttempts: true } });
  return { balanceMinor: account.balanceMinor, ledger: account.ledgerEntries, attempts: account.paymentAttempts };
}

/**
 * A provider that, while it charges, tries to take the app's billing and subscription rows from another
 * connection without waiting: it records whether anything held them.
 */
class LockProbingProvider implements PaymentProvider {
  readonly inner = new TestPaymentProvider();
  readonly lockedDuringCharge: string[] = [];
  constructor(private readonly appId: string) {}
  savePaymentMethod(cardNumber: string) {
    return this.inner.savePaymentMethod(cardNumber);
  }
  async charge(input: Parameters<PaymentProvider["charge"]>[0]): Promise<ChargeResult> {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query("BEGIN");
      for (const table of ["BillingAccount", "AppSubscription"]) {
        try {
          // The team's account (issue 27) or the app's subscription.
          const owner = table === "BillingAccount" ? `"tenantId" = (SELECT "tenantId" FROM "App" WHERE "id" = $1)` : `"appId" = $1`;
          await client.query(`SELECT 1 FROM "${table}" WHERE ${owner} FOR UPDATE NOWAIT`, [this.appId]);
        } catch {
          this.lockedDuringCharge.push(table);
        }
      }
      await client.query("ROLLBACK");
    } finally {
      await client.end();
    }
    return this.inner.charge(input);
  }
  refund(input: Parameters<PaymentProvider["refund"]>[0]) {
    return this.inner.refund(input);
  }
}

describe("a card charge", () => {
  it("is never made while a row lock is held: plan change, renewal, auto-recharge and top-up", async () => {
    const app = await appWithCard();
    const provider = new LockProbingProvider(app.id);
    await changePlan(database.db, provider, { actor, appId: app.id, planSlug: "starter" });
    const period = billingPeriodAt((await database.db.app.findUniqueOrThrow({ where: { id: app.id } })).billingAnchor, new Date());
    await renewApp(database.db, provider, { appId: app.id, now: new Date(period.end.getTime() + 1000) });
    await topUpBalance(database.db, provider, { actor, appId: app.id, amountMinor: 500 });
    await setAutoRecharge(database.db, provider, { actor, appId: app.id, settings: { enabled: true, thresholdMinor: 100_000, amountMinor: 1000 } });
    const recharge = await attemptAutoRecharge(database.db, provider, { appId: app.id, trigger: "test" });

    expect(recharge).toMatchObject({ recharged: true, chargedMinor: 1000 });
    const { attempts } = await moneyOf(app.id);
    expect(attempts.filter((attempt) => attempt.status === "succeeded")).toHaveLength(4);
    expect(provider.lockedDuringCharge).toEqual([]);
  });

  it("left pending by a process that died is settled by the job once, and a retry of its key gets that outcome", async () => {
    const app = await appWithCard();
    const account = await database.db.billingAccount.findFirstOrThrow({ where: { tenant: { apps: { some: { id: app.id } } } } });
    // The process wrote the attempt, maybe reached the provider, and died before recording anything.
    await writePendingCharge(database.db, {
      billingAccountId: account.id,
      kind: "top_up",
      amountMinor: 2500,
      paymentMethodRef: account.paymentMethodRef ?? "",
      idempotencyKey: `top_up:${account.id}:client-key-1`,
      trigger: "dashboard",
      description: "top-up",
    });
    expect((await moneyOf(app.id)).balanceMinor).toBe(0);
    // Too young to be taken for abandoned: its process may still be waiting on the provider.
    expect(await settlePendingCharges(database.db, new TestPaymentProvider())).toBe(0);

    expect(await settlePendingCharges(database.db, new TestPaymentProvider(), { olderThanMs: 0 })).toBe(1);
    expect(await settlePendingCharges(database.db, new TestPaymentProvider(), { olderThanMs: 0 })).toBe(0);
    const retried = await topUpBalance(database.db, new TestPaymentProvider(), { actor, appId: app.id, amountMinor: 2500, idempotencyKey: "client-key-1" });

    expect(retried).toMatchObject({ balanceMinor: 2500, replayed: true, entry: { kind: "top_up", amountMinor: 2500 } });
    const money = await moneyOf(app.id);
    expect(money.balanceMinor).toBe(2500);
    expect(money.ledger.filter((entry) => entry.kind === "top_up")).toHaveLength(1);
    expect(money.attempts.map((attempt) => attempt.status)).toEqual(["succeeded"]);
  });

  it("repeated with one top-up Idempotency-Key is made once", async () => {
    const app = await appWithCard();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => topUpBalance(database.db, new TestPaymentProvider(), { actor, appId: app.id, amountMinor: 1500, idempotencyKey: "same" })),
    );

    expect(answers.map((answer) => answer.balanceMinor)).toEqual([1500, 1500, 1500, 1500, 1500]);
    expect(answers.filter((answer) => !answer.replayed)).toHaveLength(1);
    expect((await moneyOf(app.id)).ledger).toHaveLength(1);
  });

  it("for auto-recharge is made once however many relay requests ask at the same time", async () => {
    const app = await appWithCard();
    await setAutoRecharge(database.db, new TestPaymentProvider(), { actor, appId: app.id, settings: { enabled: true, thresholdMinor: 0, amountMinor: 2000 } });
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => attemptAutoRecharge(database.db, new TestPaymentProvider(), { appId: app.id, trigger: "relay:message" })));

    expect(outcomes.every((outcome) => outcome.recharged)).toBe(true);
    expect(outcomes.reduce((sum, outcome) => sum + outcome.chargedMinor, 0)).toBe(2000);
    const money = await moneyOf(app.id);
    expect(money.balanceMinor).toBe(2000);
    expect(money.attempts.filter((attempt) => attempt.kind === "auto_recharge")).toHaveLength(1);
  });

  it("two processes racing one plan change's Idempotency-Key charge the card once and answer alike", async () => {
    const app = await appWithCard();
    const startAtMs = Date.now() + 4000;
    const race = () =>
      execFileAsync(path.join(root, "node_modules", ".bin", "tsx"), ["tests/helpers/race-plan-change.ts", database.url, app.id, "starter", "race-key", String(startAtMs)], {
        cwd: root,
        timeout: 60_000,
      }).then(({ stdout }) => JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { result?: { outcome: string; chargedMinor: number; replayed: boolean }; error?: string });
    const [first, second] = await Promise.all([race(), race()]);

    expect(first.error ?? second.error).toBeUndefined();
    expect([first.result?.outcome, second.result?.outcome]).toEqual(["upgraded", "upgraded"]);
    expect(first.result?.chargedMinor).toBe(second.result?.chargedMinor);
    expect([first.result?.replayed, second.result?.replayed].sort()).toEqual([false, true]);
    const money = await moneyOf(app.id);
    const cardCredits = money.ledger.filter((entry) => entry.kind === "card_payment");
    const fees = money.ledger.filter((entry) => entry.kind === "plan_fee");
    expect(money.attempts.filter((attempt) => attempt.status === "succeeded")).toHaveLength(1);
    expect(cardCredits).toHaveLength(1);
    expect(fees).toHaveLength(1);
    expect(cardCredits[0]?.amountMinor).toBe(-(fees[0]?.amountMinor ?? 0));
    expect(money.balanceMinor).toBe(0);
  }, 90_000);
});
