// The Stripe payment provider, through Stripe's own SDK. A team is one Stripe customer (Tenant.stripeCustomerId);
// its cards are saved in the browser with a SetupIntent and Stripe Elements, so a card number never reaches
// our server, and only the payment method's id (pm_…) is stored. Charges are off-session PaymentIntents
// confirmed at once, sent with the attempt's durable idempotency key (charge-card.ts): Stripe keeps a key for
// at least 24 hours and answers a repeat with the first outcome, declines included, which is what lets the
// settle job finish a charge a crashed process began. Webhook events are verified with the SDK's signature
// helper before anything in them is believed.
import Stripe from "stripe";
import { DomainError, notFound } from "@/lib/errors";
import type { ChargeResult, PaymentProvider, RefundResult, SavePaymentMethodResult } from "./payment-provider";
import { type StripeSettings, stripeSettingsOf } from "./stripe-config";

/** The PaymentIntent metadata naming the PaymentAttempt (its idempotency key) a webhook event settles. */
export const ATTEMPT_KEY_METADATA = "tollgate_attempt_key";

/** Tollgate's prices are in US dollars (lib/billing/pricing.ts); Stripe takes the same minor units. */
const CURRENCY = "usd";

export interface StripeApiLocation {
  host: string;
  port: number;
  protocol: "http" | "https";
}

export interface SavedCard {
  paymentMethodRef: string;
  brand: string;
  last4: string;
}

export interface RetrievedSetupIntent {
  id: string;
  status: Stripe.SetupIntent.Status;
  customerId: string | null;
  metadata: Record<string, string>;
  card: SavedCard | null;
}

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (!value) return null;
  return typeof value === "string" ? value : value.id;
}

function declined(declineCode: string, message: string): ChargeResult {
  return { status: "declined", declineCode, message };
}

/** Stripe's own words, without the SDK's request-id prefix (a replay carries another request id). */
function messageOf(error: InstanceType<typeof Stripe.errors.StripeError>): string {
  const raw = error.raw as { message?: string } | undefined;
  return raw?.message ?? error.message;
}

/** What a PaymentIntent's state means for the attempt it pays; null while the payment is still processing. */
export function chargeResultOfIntent(intent: Stripe.PaymentIntent): ChargeResult | null {
  switch (intent.status) {
    case "succeeded":
      return { status: "succeeded", chargeId: intent.id };
    case "processing":
      return null;
    case "requires_action":
      // Off-session there is nobody to authenticate: the customer must pay on the page instead.
      return declined("authentication_required", "The card needs the cardholder to authenticate this payment");
    case "canceled":
      return declined("canceled", "The payment was canceled");
    default: {
      const error = intent.last_payment_error;
      return declined(error?.decline_code ?? error?.code ?? "card_declined", error?.message ?? "The card was declined");
    }
  }
}

/**
 * For the card-setup calls a person waits on: Stripe out of reach is 503 (try again), an id Stripe does
 * not know is 404. Charges keep Stripe's errors: charge-card.ts leaves the attempt pending for the settle job.
 */
async function answerForPerson<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === "resource_missing") throw notFound("Card setup");
    if (error instanceof Stripe.errors.StripeConnectionError || error instanceof Stripe.errors.StripeAPIError || error instanceof Stripe.errors.StripeRateLimitError) {
      throw new DomainError("unavailable", "Stripe did not answer. Try again in a moment; nothing was saved.");
    }
    throw error;
  }
}

export class StripePaymentProvider implements PaymentProvider {
  readonly publishableKey: string;
  private readonly stripe: Stripe;
  private readonly webhookSecret: string;

  constructor(settings: StripeSettings, location?: StripeApiLocation) {
    this.publishableKey = settings.publishableKey;
    this.webhookSecret = settings.webhookSecret;
    // Network retries reuse the request's idempotency key (the SDK adds one to every POST without).
    this.stripe = new Stripe(settings.secretKey, { maxNetworkRetries: 2, timeout: 30_000, appInfo: { name: "Tollgate" }, ...location });
  }

  async savePaymentMethod(): Promise<SavePaymentMethodResult> {
    return { status: "invalid", message: "Card numbers are not accepted here: add the card with the card form on the billing page" };
  }

  async charge(input: { paymentMethodRef: string; amountMinor: number; idempotencyKey: string; description: string }): Promise<ChargeResult> {
    try {
      // A saved card belongs to the team's customer, and Stripe charges it only with that customer named.
      const method = await this.stripe.paymentMethods.retrieve(input.paymentMethodRef);
      const customer = idOf(method.customer);
      if (!customer) return declined("payment_method_unavailable", "The card on file was removed at Stripe: add a card again");
      const intent = await this.stripe.paymentIntents.create(
        {
          amount: input.amountMinor,
          currency: CURRENCY,
          customer,
          payment_method: input.paymentMethodRef,
          off_session: true,
          confirm: true,
          description: input.description,
          metadata: { [ATTEMPT_KEY_METADATA]: input.idempotencyKey },
        },
        { idempotencyKey: input.idempotencyKey },
      );
      const result = chargeResultOfIntent(intent);
      // Left pending: the payment_intent.* webhook records the outcome when Stripe has it.
      if (!result) throw new Error(`PaymentIntent ${intent.id} is still processing`);
      return result;
    } catch (error) {
      if (error instanceof Stripe.errors.StripeCardError) {
        return declined(error.decline_code ?? error.code ?? "card_declined", messageOf(error));
      }
      // A card that no longer exists at Stripe declines for good instead of being retried forever.
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === "resource_missing") {
        return declined("payment_method_unavailable", "The card on file no longer exists at Stripe: add a card again");
      }
      throw error;
    }
  }

  async refund(input: { chargeId: string; amountMinor: number; idempotencyKey: string }): Promise<RefundResult> {
    try {
      const refund = await this.stripe.refunds.create({ payment_intent: input.chargeId, amount: input.amountMinor }, { idempotencyKey: input.idempotencyKey });
      if (refund.status === "failed" || refund.status === "canceled") return { status: "failed", message: refund.failure_reason ?? `The refund ${refund.status}` };
      return { status: "refunded", refundId: refund.id };
    } catch (error) {
      if (error instanceof Stripe.errors.StripeInvalidRequestError) return { status: "failed", message: messageOf(error) };
      throw error;
    }
  }

  /** The team's customer; the key makes concurrent first saves of one team create a single customer. */
  async createCustomer(input: { tenantId: string; name: string }): Promise<string> {
    const customer = await answerForPerson(() =>
      this.stripe.customers.create({ name: input.name, metadata: { tollgate_tenant_id: input.tenantId } }, { idempotencyKey: `customer:${input.tenantId}` }),
    );
    return customer.id;
  }

  /** A SetupIntent the browser confirms with Stripe Elements; the card it saves may be charged off-session. */
  async createSetupIntent(input: { customerId: string; metadata: Record<string, string> }): Promise<{ id: string; clientSecret: string }> {
    const intent = await answerForPerson(() =>
      this.stripe.setupIntents.create({ customer: input.customerId, usage: "off_session", allowed_payment_method_types: ["card"], metadata: input.metadata }),
    );
    if (!intent.client_secret) throw new Error(`SetupIntent ${intent.id} came without a client secret`);
    return { id: intent.id, clientSecret: intent.client_secret };
  }

  async retrieveSetupIntent(setupIntentId: string): Promise<RetrievedSetupIntent> {
    const intent = await answerForPerson(() => this.stripe.setupIntents.retrieve(setupIntentId, { expand: ["payment_method"] }));
    const method = typeof intent.payment_method === "object" ? intent.payment_method : null;
    return {
      id: intent.id,
      status: intent.status,
      customerId: idOf(intent.customer),
      metadata: intent.metadata ?? {},
      card: method?.card ? { paymentMethodRef: method.id, brand: method.card.brand, last4: method.card.last4 } : null,
    };
  }

  /** The refunds of a PaymentIntent, as Stripe lists them (charge.refunded does not carry them). */
  async listRefunds(paymentIntentId: string): Promise<{ id: string; amountMinor: number; status: string | null }[]> {
    const refunds = await this.stripe.refunds.list({ payment_intent: paymentIntentId, limit: 100 });
    return refunds.data.map((refund) => ({ id: refund.id, amountMinor: refund.amount, status: refund.status }));
  }

  /** The event, when the Stripe-Signature header proves Stripe sent this body; throws otherwise. */
  constructWebhookEvent(rawBody: string, signatureHeader: string): Stripe.Event {
    return this.stripe.webhooks.constructEvent(rawBody, signatureHeader, this.webhookSecret);
  }
}

let configured: StripePaymentProvider | null | undefined;

/** The process's Stripe provider, or null when STRIPE_SECRET_KEY and its companions are not set. */
export function getStripeProvider(): StripePaymentProvider | null {
  if (configured === undefined) {
    const settings = stripeSettingsOf(process.env);
    configured = settings ? new StripePaymentProvider(settings) : null;
  }
  return configured;
}
