// Stripe end to end through the real routes and the real `stripe` SDK, against a local stand-in of
// Stripe's API (tests/helpers/stripe-stand-in.ts): saving a card with a SetupIntent (owners only),
// charging it with the durable idempotency key, and signed webhook events settling attempts, refunds and
// cards exactly once.
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as billingRoute } from "@/app/api/apps/[appId]/billing/route";
import { POST as confirmSetupRoute } from "@/app/api/apps/[appId]/billing/setup-intent/confirm/route";
import { POST as setupIntentRoute } from "@/app/api/apps/[appId]/billing/setup-intent/route";
import { POST as topUpRoute } from "@/app/api/apps/[appId]/billing/top-up/route";
import { POST as webhookRoute } from "@/app/api/stripe/webhook/route";
import type { SessionUser } from "@/lib/auth/authenticate";
import { writePendingCharge } from "@/lib/billing/charge-card";
import { ATTEMPT_KEY_METADATA, StripePaymentProvider } from "@/lib/billing/stripe-provider";
import { createTestApp, createUser, type TestUser } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";
import { startStripeStandIn, type StripeStandIn } from "@/tests/helpers/stripe-stand-in";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

// The process's Stripe provider is the real one, pointed at the stand-in.
const configured = vi.hoisted(() => ({ stripe: null as StripePaymentProvider | null }));
vi.mock("@/lib/billing/stripe-provider", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@/lib/billing/stripe-provider")>();
  return { ...actual, getStripeProvider: () => configured.stripe };
});

const WEBHOOK_SECRET = "whsec_standin_secret";
const signer = new Stripe("sk_test_signer");

let harness: RouteHarness;
let standIn: StripeStandIn;

beforeAll(async () => {
  [harness, standIn] = await Promise.all([startRouteHarness(), startStripeStandIn()]);
  configured.stripe = new StripePaymentProvider({ secretKey: "sk_test_standin", publishableKey: "pk_test_standin", webhookSecret: WEBHOOK_SECRET }, standIn.location);
});
afterAll(async () => {
  await Promise.all([harness?.stop(), standIn?.stop()]);
});

interface BillingBody {
  balanceMinor: number;
  stripe: { publishableKey: string } | null;
  testCards: unknown[];
  paymentMethod: { brand: string; last4: string } | null;
  ledger: { kind: string; amountMinor: number; description: string }[];
}

async function ownerWithApp(): Promise<{ owner: TestUser; appId: string }> {
  const owner = await createUser(harness.db);
  const app = await createTestApp(harness.db, { tenantId: owner.tenantId, planSlug: "starter" });
  return { owner, appId: app.id };
}

/** An owner's app with a card saved the way the browser saves it: SetupIntent, Stripe.js confirms, confirm route. */
async function appWithCard(card: "pm_card_visa" | "pm_card_chargeDeclined" = "pm_card_visa") {
  const { owner, appId } = await ownerWithApp();
  session.user = owner;
  const setup = await invoke<{ clientSecret: string }>(setupIntentRoute, { method: "POST", params: { appId } });
  expect(setup.status).toBe(200);
  const setupIntentId = setup.body.clientSecret.split("_secret_")[0] ?? "";
  standIn.confirmSetupIntent(setupIntentId, card);
  const confirmed = await invoke(confirmSetupRoute, { method: "POST", params: { appId }, body: { setupIntentId } });
  expect(confirmed.status).toBe(200);
  return { owner, appId, setupIntentId };
}

async function billingOf(appId: string) {
  return (await invoke<BillingBody>(billingRoute, { params: { appId } })).body;
}

function deliver(event: Record<string, unknown>, options: { secret?: string; signature?: string } = {}) {
  const payload = JSON.stringify({ object: "event", api_version: "2026-11-18.endive", created: Math.floor(Date.now() / 1000), ...event });
  const signature = options.signature ?? signer.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? WEBHOOK_SECRET });
  return invoke<{ received?: boolean; outcome?: string; error?: string }>(webhookRoute, { method: "POST", path: "/api/stripe/webhook", body: payload, headers: { "stripe-signature": signature, "content-type": "application/json" } });
}

async function accountOf(appId: string) {
  return harness.db.billingAccount.findFirstOrThrow({ where: { tenant: { apps: { some: { id: appId } } } }, include: { ledgerEntries: true, paymentAttempts: true } });
}

describe("saving a card with a SetupIntent", () => {
  it("is for owners only: a member gets 403, another team 404, and neither makes a Stripe customer", async () => {
    const { owner, appId } = await ownerWithApp();
    const member = await createUser(harness.db);
    await harness.db.membership.create({ data: { userId: member.id, tenantId: owner.tenantId, role: "member" } });
    const customersBefore = standIn.customers().length;
    session.user = member;
    const asMember = await invoke(setupIntentRoute, { method: "POST", params: { appId } });
    expect(asMember.status).toBe(403);
    session.user = await createUser(harness.db);
    expect((await invoke(setupIntentRoute, { method: "POST", params: { appId } })).status).toBe(404);
    expect(standIn.customers().length).toBe(customersBefore);
  });

  it("gives the owner a client secret for the team's one Stripe customer, created on first need and kept on the team", async () => {
    const { owner, appId } = await ownerWithApp();
    const second = await createTestApp(harness.db, { tenantId: owner.tenantId });
    session.user = owner;
    const customersBefore = standIn.customers().length;
    const first = await invoke<{ clientSecret: string; publishableKey: string }>(setupIntentRoute, { method: "POST", params: { appId } });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ clientSecret: expect.stringMatching(/^seti_\w+_secret_/), publishableKey: "pk_test_standin" });
    const again = await invoke(setupIntentRoute, { method: "POST", params: { appId: second.id } });
    expect(again.status).toBe(200);
    expect(standIn.customers().length).toBe(customersBefore + 1);
    const tenant = await harness.db.tenant.findUniqueOrThrow({ where: { id: owner.tenantId } });
    expect(tenant.stripeCustomerId).toBe(standIn.customers().at(-1)?.id);
  });

  it("stores the confirmed card with its brand and digits; the billing page is told to use Stripe's form", async () => {
    const { appId } = await appWithCard("pm_card_visa");
    const billing = await billingOf(appId);
    expect(billing.stripe).toEqual({ publishableKey: "pk_test_standin" });
    expect(billing.testCards).toEqual([]);
    expect(billing.paymentMethod).toMatchObject({ brand: "visa", last4: "4242" });
  });

  it("refuses a SetupIntent not confirmed yet (422), one made for another team's app and one Stripe does not know (404)", async () => {
    const { owner, appId } = await ownerWithApp();
    session.user = owner;
    const setup = await invoke<{ clientSecret: string }>(setupIntentRoute, { method: "POST", params: { appId } });
    const setupIntentId = setup.body.clientSecret.split("_secret_")[0] ?? "";
    const early = await invoke(confirmSetupRoute, { method: "POST", params: { appId }, body: { setupIntentId } });
    expect(early.status).toBe(422);
    standIn.confirmSetupIntent(setupIntentId, "pm_card_visa");
    const stranger = await ownerWithApp();
    session.user = stranger.owner;
    const foreign = await invoke(confirmSetupRoute, { method: "POST", params: { appId: stranger.appId }, body: { setupIntentId } });
    expect(foreign.status).toBe(404);
    expect((await accountOf(stranger.appId)).paymentMethodRef).toBeNull();
    const unknown = await invoke(confirmSetupRoute, { method: "POST", params: { appId: stranger.appId }, body: { setupIntentId: "seti_unknown" } });
    expect(unknown.status).toBe(404);
  });
});

describe("charging the stored card", () => {
  it("tops up through a PaymentIntent carrying the durable key; a repeated request is answered, not charged again", async () => {
    const { appId } = await appWithCard();
    const account = await accountOf(appId);
    const topUp = () => invoke<{ balanceMinor: number; replayed: boolean }>(topUpRoute, { method: "POST", params: { appId }, body: { amountMinor: 2_000 }, headers: { "idempotency-key": "click-1" } });
    const first = await topUp();
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ balanceMinor: 2_000, replayed: false });
    const key = `top_up:${account.id}:click-1`;
    const sent = standIn.requests.filter((request) => request.path === "/v1/payment_intents");
    expect(sent.filter((request) => request.idempotencyKey === key)).toHaveLength(1);
    const again = await topUp();
    expect(again.body).toMatchObject({ balanceMinor: 2_000, replayed: true });
    const after = await accountOf(appId);
    expect(after.ledgerEntries.map((entry) => [entry.kind, entry.amountMinor, entry.description])).toEqual([["top_up", 2_000, "Top-up with card ending 4242"]]);
    expect(after.paymentAttempts[0]?.providerReference).toMatch(/^pi_/);
  });

  it("answers a declined card with 402 and Stripe's decline code, and refuses a card number", async () => {
    const { appId } = await appWithCard("pm_card_chargeDeclined");
    const declined = await invoke(topUpRoute, { method: "POST", params: { appId }, body: { amountMinor: 1_000 } });
    expect(declined.status).toBe(402);
    expect(declined.body).toMatchObject({ error: "payment_failed", message: expect.stringContaining("generic_decline") });
    const withNumber = await invoke(topUpRoute, { method: "POST", params: { appId }, body: { amountMinor: 1_000, cardNumber: "4242424242424242" } });
    expect(withNumber.status).toBe(422);
    expect(withNumber.body).toMatchObject({ field: "cardNumber", message: expect.stringContaining("card form") });
    expect((await accountOf(appId)).ledgerEntries).toEqual([]);
  });
});

describe("POST /api/stripe/webhook", () => {
  it("answers 400 to a missing, forged or foreign signature and does nothing", async () => {
    const event = { id: "evt_forged", type: "payment_intent.succeeded", data: { object: { id: "pi_forged", object: "payment_intent", status: "succeeded", metadata: {} } } };
    expect((await deliver(event, { signature: "" })).status).toBe(400);
    expect((await deliver(event, { signature: "t=1,v1=deadbeef" })).status).toBe(400);
    const foreign = await deliver(event, { secret: "whsec_someone_else" });
    expect(foreign.status).toBe(400);
    expect(foreign.body).toMatchObject({ error: "invalid_signature" });
  });

  async function pendingAttempt(appId: string, ageMs: number) {
    const account = await accountOf(appId);
    const attempt = await writePendingCharge(harness.db, {
      billingAccountId: account.id,
      kind: "top_up",
      amountMinor: 1_200,
      paymentMethodRef: account.paymentMethodRef ?? "",
      idempotencyKey: `top_up:${account.id}:${Math.random()}`,
      trigger: "dashboard",
      description: "Tollgate top-up",
    });
    await harness.db.paymentAttempt.update({ where: { id: attempt.id }, data: { createdAt: new Date(Date.now() - ageMs) } });
    return attempt;
  }

  function intentEvent(type: string, key: string, status: string, extra: Record<string, unknown> = {}) {
    return { id: `evt_${Math.random()}`, type, data: { object: { id: `pi_${key.length}_${Math.random()}`.replace(".", ""), object: "payment_intent", status, metadata: { [ATTEMPT_KEY_METADATA]: key }, ...extra } } };
  }

  it("settles an abandoned pending attempt once however often Stripe delivers payment_intent.succeeded", async () => {
    const { appId } = await appWithCard();
    const attempt = await pendingAttempt(appId, 120_000);
    const event = intentEvent("payment_intent.succeeded", attempt.idempotencyKey ?? "", "succeeded");
    const first = await deliver(event);
    expect(first).toMatchObject({ status: 200, body: { outcome: "settled" } });
    const second = await deliver(event);
    expect(second).toMatchObject({ status: 200, body: { outcome: "already_settled" } });
    const account = await accountOf(appId);
    expect(account.balanceMinor).toBe(1_200);
    expect(account.ledgerEntries).toHaveLength(1);
    expect(account.paymentAttempts[0]).toMatchObject({ status: "succeeded", providerReference: event.data.object.id });
  });

  it("leaves a young pending attempt to the process charging it (409, Stripe delivers again later)", async () => {
    const { appId } = await appWithCard();
    const attempt = await pendingAttempt(appId, 0);
    const res = await deliver(intentEvent("payment_intent.succeeded", attempt.idempotencyKey ?? "", "succeeded"));
    expect(res).toMatchObject({ status: 409, body: { outcome: "in_progress" } });
    expect((await accountOf(appId)).paymentAttempts[0]?.status).toBe("pending");
  });

  it("records payment_intent.payment_failed as a decline with its code and moves no money", async () => {
    const { appId } = await appWithCard();
    const attempt = await pendingAttempt(appId, 120_000);
    const res = await deliver(
      intentEvent("payment_intent.payment_failed", attempt.idempotencyKey ?? "", "requires_payment_method", {
        last_payment_error: { type: "card_error", code: "card_declined", decline_code: "insufficient_funds", message: "Your card has insufficient funds." },
      }),
    );
    expect(res.body).toMatchObject({ outcome: "settled" });
    const account = await accountOf(appId);
    expect(account.paymentAttempts[0]).toMatchObject({ status: "declined", providerReference: "insufficient_funds" });
    expect(account.ledgerEntries).toEqual([]);
  });

  it("acknowledges events about payments Tollgate did not make", async () => {
    const res = await deliver({ id: "evt_other", type: "payment_intent.succeeded", data: { object: { id: "pi_other", object: "payment_intent", status: "succeeded", metadata: {} } } });
    expect(res).toMatchObject({ status: 200, body: { outcome: "ignored" } });
    expect((await deliver({ id: "evt_unknown_type", type: "customer.updated", data: { object: { id: "cus_1", object: "customer" } } })).status).toBe(200);
  });

  it("debits a refund made at Stripe once on charge.refunded, however often it is delivered", async () => {
    const { appId } = await appWithCard();
    const topUp = await invoke<{ balanceMinor: number }>(topUpRoute, { method: "POST", params: { appId }, body: { amountMinor: 3_000 } });
    expect(topUp.status).toBe(200);
    const paymentIntentId = (await accountOf(appId)).paymentAttempts[0]?.providerReference ?? "";
    standIn.refundInDashboard(paymentIntentId, 1_000);
    const event = { id: "evt_refund", type: "charge.refunded", data: { object: { id: "ch_refunded", object: "charge", payment_intent: paymentIntentId, amount_refunded: 1_000 } } };
    expect((await deliver(event)).body).toMatchObject({ outcome: "refunds_recorded" });
    expect((await deliver(event)).body).toMatchObject({ outcome: "ignored" });
    const account = await accountOf(appId);
    expect(account.balanceMinor).toBe(2_000);
    expect(account.ledgerEntries.filter((entry) => entry.kind === "refund").map((entry) => [entry.amountMinor, entry.description])).toEqual([[-1_000, "Refund to the card ending 4242"]]);
  });

  it("stores the card of a setup_intent.succeeded when the browser never came back to confirm it", async () => {
    const { owner, appId } = await ownerWithApp();
    session.user = owner;
    const setup = await invoke<{ clientSecret: string }>(setupIntentRoute, { method: "POST", params: { appId } });
    const setupIntentId = setup.body.clientSecret.split("_secret_")[0] ?? "";
    standIn.confirmSetupIntent(setupIntentId, "pm_card_mastercard");
    const event = { id: "evt_setup", type: "setup_intent.succeeded", data: { object: standIn.setupIntent(setupIntentId) } };
    expect((await deliver(event)).body).toMatchObject({ outcome: "card_saved" });
    expect((await deliver(event)).body).toMatchObject({ outcome: "ignored" });
    expect((await billingOf(appId)).paymentMethod).toMatchObject({ brand: "mastercard", last4: "4444" });
    // The card is the team's: audited on the team.
    const audits = await harness.db.auditLog.findMany({ where: { targetId: owner.tenantId, action: "billing.payment_method" } });
    expect(audits).toHaveLength(1);
  });

  it("never replaces a card on file: a late event must not put back a card the owner has since replaced", async () => {
    const { owner, appId } = await appWithCard("pm_card_visa");
    session.user = owner;
    const older = await invoke<{ clientSecret: string }>(setupIntentRoute, { method: "POST", params: { appId } });
    const olderId = older.body.clientSecret.split("_secret_")[0] ?? "";
    standIn.confirmSetupIntent(olderId, "pm_card_mastercard");
    const res = await deliver({ id: "evt_late", type: "setup_intent.succeeded", data: { object: standIn.setupIntent(olderId) } });
    expect(res).toMatchObject({ status: 200, body: { outcome: "ignored" } });
    expect((await billingOf(appId)).paymentMethod).toMatchObject({ brand: "visa", last4: "4242" });
  });
});
