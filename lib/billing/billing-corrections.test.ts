// An admin's refund through Stripe (the real SDK against the local stand-in): the refund reaches Stripe with
// its own Idempotency-Key, the money leaves the balance once whether our answer or Stripe's charge.refunded
// webhook records it first, and a refund a stopped process left pending is finished by the settle job.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createUser, seedPlans } from "@/tests/helpers/fixtures";
import { startStripeStandIn, type StripeStandIn } from "@/tests/helpers/stripe-stand-in";
import { createTestDatabase, type TestDatabase } from "@/tests/helpers/test-database";
import { completeRefund, correctBalance, settlePendingRefunds } from "./billing-corrections";
import { chargeCardOnce } from "./charge-card";
import { recordCardRefunds } from "./record-card-refunds";
import { StripePaymentProvider } from "./stripe-provider";

let database: TestDatabase;
let standIn: StripeStandIn;
let stripe: StripePaymentProvider;
const admin = { id: null, email: "ops@tollgate.test" };

beforeAll(async () => {
  database = await createTestDatabase();
  await seedPlans(database.db);
  standIn = await startStripeStandIn();
  stripe = new StripePaymentProvider({ secretKey: "sk_test_standin", publishableKey: "pk_test_standin", webhookSecret: "whsec_standin" }, standIn.location);
});
afterAll(async () => {
  await standIn?.stop();
  await database?.drop();
});

/** An app whose balance was topped up by a Stripe charge; returns the charge's attempt. */
async function toppedUpWithStripe(amountMinor: number) {
  const owner = await createUser(database.db);
  const app = await createTestApp(database.db, { tenantId: owner.tenantId });
  const customerId = await stripe.createCustomer({ tenantId: owner.tenantId, name: "Acme" });
  standIn.attach("pm_card_visa", customerId);
  const account = await database.db.billingAccount.update({ where: { tenantId: owner.tenantId }, data: { paymentMethodRef: "pm_card_visa", paymentMethodLast4: "4242" } });
  const charge = await chargeCardOnce(database.db, stripe, {
    billingAccountId: account.id,
    kind: "top_up",
    amountMinor,
    paymentMethodRef: "pm_card_visa",
    idempotencyKey: `top_up:${account.id}:1`,
    trigger: "dashboard",
    description: "Tollgate top-up",
  });
  if (charge.status !== "succeeded") throw new Error("the stand-in declined the top-up");
  return { appId: app.id, accountId: account.id, attemptId: charge.attemptId, paymentIntentId: charge.chargeId };
}

async function refundsOf(accountId: string) {
  return database.db.ledgerEntry.findMany({ where: { billingAccountId: accountId, kind: "refund" } });
}

describe("an admin refund through Stripe", () => {
  it("reaches Stripe once with its key, debits the balance once, and the charge.refunded webhook that follows moves nothing", async () => {
    const { appId, accountId, attemptId, paymentIntentId } = await toppedUpWithStripe(4000);
    const body = { kind: "refund" as const, amountMinor: 1500, reason: "Duplicate top-up", paymentAttemptId: attemptId };
    const first = await correctBalance(database.db, stripe, { actor: admin, appId, idempotencyKey: "stripe-refund-1", body });
    const again = await correctBalance(database.db, stripe, { actor: admin, appId, idempotencyKey: "stripe-refund-1", body });
    expect(first).toMatchObject({ status: "succeeded", amountMinor: -1500, replayed: false });
    expect(again).toMatchObject({ id: first.id, replayed: true });
    const toStripe = standIn.requests.filter((request) => request.path === "/v1/refunds" && request.method === "POST");
    expect(toStripe).toEqual([expect.objectContaining({ idempotencyKey: "correction:stripe-refund-1", params: expect.objectContaining({ payment_intent: paymentIntentId, amount: "1500" }) })]);

    // Stripe announces the refund (charge.refunded): the entry is there already, nothing moves again.
    expect(await recordCardRefunds(database.db, { chargeId: paymentIntentId, refunds: await stripe.listRefunds(paymentIntentId) })).toBe(0);
    expect((await refundsOf(accountId)).map((entry) => entry.amountMinor)).toEqual([-1500]);
    expect((await database.db.billingAccount.findUniqueOrThrow({ where: { id: accountId } })).balanceMinor).toBe(2500);
  });

  it("left pending by a process that stopped after Stripe refunded: the webhook records it first, settling later moves nothing more", async () => {
    const { appId, accountId, attemptId, paymentIntentId } = await toppedUpWithStripe(3000);
    const failing = { ...stripe, refund: async () => Promise.reject(new Error("connection reset")) } as unknown as StripePaymentProvider;
    await expect(
      correctBalance(database.db, failing, { actor: admin, appId, idempotencyKey: "stripe-refund-2", body: { kind: "refund", amountMinor: 1000, reason: "Goodwill", paymentAttemptId: attemptId } }),
    ).rejects.toMatchObject({ code: "unavailable" });
    const pending = await database.db.billingCorrection.findUniqueOrThrow({ where: { idempotencyKey: "stripe-refund-2" } });
    expect(pending.status).toBe("pending");
    expect(await refundsOf(accountId)).toEqual([]);

    // Stripe did refund (the request reached it before the connection dropped) and says so by webhook.
    const refunded = await stripe.refund({ chargeId: paymentIntentId, amountMinor: 1000, idempotencyKey: "correction:stripe-refund-2" });
    expect(await recordCardRefunds(database.db, { chargeId: paymentIntentId, refunds: await stripe.listRefunds(paymentIntentId) })).toBe(1);
    // The settle job asks Stripe again with the same key, gets the same refund and records the correction.
    expect(await settlePendingRefunds(database.db, stripe, { olderThanMs: 0 })).toBe(1);
    expect(await database.db.billingCorrection.findUniqueOrThrow({ where: { id: pending.id } })).toMatchObject({
      status: "succeeded",
      providerReference: refunded.status === "refunded" ? refunded.refundId : "",
    });
    expect((await refundsOf(accountId)).map((entry) => entry.amountMinor)).toEqual([-1000]);
    expect((await database.db.billingAccount.findUniqueOrThrow({ where: { id: accountId } })).balanceMinor).toBe(2000);
    // Finishing it once more (a late retry of the admin's request) changes nothing.
    expect(await completeRefund(database.db, stripe, pending)).toMatchObject({ status: "succeeded", replayed: true });
    expect(await refundsOf(accountId)).toHaveLength(1);
  });
});
