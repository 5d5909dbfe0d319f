// The Stripe provider through the real `stripe` SDK against a local stand-in of Stripe's API
// (tests/helpers/stripe-stand-in.ts): what reaches "Stripe", and what a retried charge gets back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStripeStandIn, type StripeStandIn } from "@/tests/helpers/stripe-stand-in";
import { TestPaymentProvider } from "./payment-provider";
import { stripeSettingsOf } from "./stripe-config";
import { ATTEMPT_KEY_METADATA, StripePaymentProvider } from "./stripe-provider";

const SETTINGS = { secretKey: "sk_test_standin", publishableKey: "pk_test_standin", webhookSecret: "whsec_standin" };

let standIn: StripeStandIn;
let stripe: StripePaymentProvider;

beforeAll(async () => {
  standIn = await startStripeStandIn();
  stripe = new StripePaymentProvider(SETTINGS, standIn.location);
});
afterAll(async () => standIn?.stop());

async function customerWithCard(card: "pm_card_visa" | "pm_card_chargeDeclined" | "pm_card_insufficientFunds"): Promise<string> {
  const customerId = await stripe.createCustomer({ tenantId: `tenant_${card}_${Math.random()}`, name: "Acme" });
  standIn.attach(card, customerId);
  return customerId;
}

function requestsFor(key: string) {
  return standIn.requests.filter((request) => request.idempotencyKey === key);
}

describe("StripePaymentProvider.charge", () => {
  it("charges the card off-session for the team's customer, sending the attempt's key as the Idempotency-Key", async () => {
    const customerId = await customerWithCard("pm_card_visa");
    const result = await stripe.charge({ paymentMethodRef: "pm_card_visa", amountMinor: 2_000, idempotencyKey: "top_up:acct_1:first", description: "Tollgate top-up" });
    expect(result).toEqual({ status: "succeeded", chargeId: expect.stringMatching(/^pi_/) });
    const [request] = requestsFor("top_up:acct_1:first");
    expect(request).toMatchObject({ method: "POST", path: "/v1/payment_intents" });
    expect(request?.params).toMatchObject({
      amount: "2000",
      currency: "usd",
      customer: customerId,
      payment_method: "pm_card_visa",
      off_session: "true",
      confirm: "true",
      [`metadata.${ATTEMPT_KEY_METADATA}`]: "top_up:acct_1:first",
    });
  });

  it("answers a retry with the same key with the first charge, and Stripe makes one PaymentIntent", async () => {
    await customerWithCard("pm_card_visa");
    const input = { paymentMethodRef: "pm_card_visa", amountMinor: 1_500, idempotencyKey: "renewal:acct_2:2026-12", description: "Plan fee" };
    const first = await stripe.charge(input);
    const second = await stripe.charge(input);
    expect(second).toEqual(first);
    expect(requestsFor(input.idempotencyKey)).toHaveLength(2);
    const made = standIn.paymentIntents().filter((intent) => (intent.metadata as Record<string, string>)[ATTEMPT_KEY_METADATA] === input.idempotencyKey);
    expect(made.map((intent) => intent.id)).toEqual([first.status === "succeeded" ? first.chargeId : ""]);
  });

  it("maps a card decline to the declined result with Stripe's decline code, and a retry gets the same decline", async () => {
    await customerWithCard("pm_card_insufficientFunds");
    const input = { paymentMethodRef: "pm_card_insufficientFunds", amountMinor: 900, idempotencyKey: "auto_recharge:acct_3:1", description: "Auto-recharge" };
    const first = await stripe.charge(input);
    expect(first).toEqual({ status: "declined", declineCode: "insufficient_funds", message: "Your card has insufficient funds." });
    expect(await stripe.charge(input)).toEqual(first);
    const created = standIn.requests.filter((request) => request.path === "/v1/payment_intents" && request.idempotencyKey === input.idempotencyKey);
    expect(created).toHaveLength(2);
  });

  it("declines for good a card that no longer exists at Stripe (no endless retry)", async () => {
    const result = await stripe.charge({ paymentMethodRef: "pm_gone", amountMinor: 500, idempotencyKey: "top_up:acct_4:gone", description: "x" });
    expect(result).toMatchObject({ status: "declined", declineCode: "payment_method_unavailable" });
  });

  it("refuses card numbers: cards are saved in Stripe's own form", async () => {
    expect(await stripe.savePaymentMethod()).toMatchObject({ status: "invalid" });
  });
});

describe("StripePaymentProvider setup and refunds", () => {
  it("creates one customer per team however often it is asked (the key is the team)", async () => {
    const before = standIn.customers().length;
    const [first, second] = await Promise.all([stripe.createCustomer({ tenantId: "tenant_once", name: "Once" }), stripe.createCustomer({ tenantId: "tenant_once", name: "Once" })]);
    expect(second).toBe(first);
    expect(standIn.customers().length).toBe(before + 1);
  });

  it("creates an off-session SetupIntent for the customer and reads back the card it saved", async () => {
    const customerId = await stripe.createCustomer({ tenantId: "tenant_setup", name: "Setup" });
    const intent = await stripe.createSetupIntent({ customerId, metadata: { tollgate_billing_account_id: "acct_9" } });
    expect(intent.clientSecret).toMatch(/^seti_\w+_secret_/);
    expect(standIn.setupIntent(intent.id)).toMatchObject({ customer: customerId, usage: "off_session" });
    standIn.confirmSetupIntent(intent.id, "pm_card_mastercard");
    expect(await stripe.retrieveSetupIntent(intent.id)).toEqual({
      id: intent.id,
      status: "succeeded",
      customerId,
      metadata: { tollgate_billing_account_id: "acct_9" },
      card: { paymentMethodRef: "pm_card_mastercard", brand: "mastercard", last4: "4444" },
    });
  });

  it("refunds part of a charge once per key and lists the refund", async () => {
    await customerWithCard("pm_card_visa");
    const charge = await stripe.charge({ paymentMethodRef: "pm_card_visa", amountMinor: 3_000, idempotencyKey: "top_up:acct_5:refundable", description: "x" });
    if (charge.status !== "succeeded") throw new Error("charge failed");
    const input = { chargeId: charge.chargeId, amountMinor: 1_000, idempotencyKey: "refund:adm_1" };
    const first = await stripe.refund(input);
    expect(first).toEqual({ status: "refunded", refundId: expect.stringMatching(/^re_/) });
    expect(await stripe.refund(input)).toEqual(first);
    expect(requestsFor("refund:adm_1").map((request) => request.path)).toEqual(["/v1/refunds", "/v1/refunds"]);
    expect(await stripe.listRefunds(charge.chargeId)).toEqual([{ id: first.status === "refunded" ? first.refundId : "", amountMinor: 1_000, status: "succeeded" }]);
  });

  it("answers a person waiting on a card setup 503 when Stripe is out of reach, 404 for a SetupIntent it does not know", async () => {
    const closed = await startStripeStandIn();
    await closed.stop();
    const unreachable = new StripePaymentProvider(SETTINGS, closed.location);
    await expect(unreachable.createSetupIntent({ customerId: "cus_1", metadata: {} })).rejects.toMatchObject({ code: "unavailable" });
    await expect(stripe.retrieveSetupIntent("seti_nobody")).rejects.toMatchObject({ code: "not_found" });
  });

  it("answers a refund of an unknown charge as failed", async () => {
    expect(await stripe.refund({ chargeId: "pi_unknown", amountMinor: 100, idempotencyKey: "refund:adm_2" })).toMatchObject({ status: "failed" });
  });
});

describe("TestPaymentProvider.refund", () => {
  it("refunds its own charges, the same refund for a repeated key, and fails anything else", async () => {
    const provider = new TestPaymentProvider();
    const charge = await provider.charge({ paymentMethodRef: "pm_test_4242", amountMinor: 1_000, idempotencyKey: "k" });
    if (charge.status !== "succeeded") throw new Error("charge failed");
    const refund = await provider.refund({ chargeId: charge.chargeId, amountMinor: 400, idempotencyKey: "r1" });
    expect(refund).toEqual({ status: "refunded", refundId: expect.stringMatching(/^re_test_/) });
    expect(await provider.refund({ chargeId: charge.chargeId, amountMinor: 400, idempotencyKey: "r1" })).toEqual(refund);
    expect(await provider.refund({ chargeId: charge.chargeId, amountMinor: 400, idempotencyKey: "r2" })).not.toEqual(refund);
    expect(await provider.refund({ chargeId: "pi_elsewhere", amountMinor: 400, idempotencyKey: "r3" })).toMatchObject({ status: "failed" });
    expect(await provider.refund({ chargeId: charge.chargeId, amountMinor: 0, idempotencyKey: "r4" })).toMatchObject({ status: "failed" });
  });
});

describe("stripeSettingsOf", () => {
  it("is null with none of the three variables (or empty ones), the settings with all three", () => {
    expect(stripeSettingsOf({})).toBeNull();
    expect(stripeSettingsOf({ STRIPE_SECRET_KEY: "", STRIPE_PUBLISHABLE_KEY: "", STRIPE_WEBHOOK_SECRET: "" })).toBeNull();
    expect(stripeSettingsOf({ STRIPE_SECRET_KEY: "sk_test_a", STRIPE_PUBLISHABLE_KEY: "pk_test_b", STRIPE_WEBHOOK_SECRET: "whsec_c" })).toEqual({
      secretKey: "sk_test_a",
      publishableKey: "pk_test_b",
      webhookSecret: "whsec_c",
    });
  });

  it("refuses a partial configuration naming the missing variables, and a key of the wrong kind", () => {
    expect(() => stripeSettingsOf({ STRIPE_SECRET_KEY: "sk_live_a" })).toThrow(/STRIPE_PUBLISHABLE_KEY[\s\S]*must be set too[\s\S]*STRIPE_WEBHOOK_SECRET/);
    expect(() => stripeSettingsOf({ STRIPE_SECRET_KEY: "pk_test_a", STRIPE_PUBLISHABLE_KEY: "pk_test_b", STRIPE_WEBHOOK_SECRET: "whsec_c" })).toThrow(/secret key/);
  });
});
