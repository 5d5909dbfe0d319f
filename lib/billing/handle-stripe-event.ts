// What a verified Stripe webhook event does (docs/operations.md lists the events to enable):
//   payment_intent.succeeded / payment_intent.payment_failed  settle the PaymentAttempt named in the
//     intent's metadata, as the settle job would (charge-card.ts: the credit lands once);
//   charge.refunded         debit each refund once (record-card-refunds.ts);
//   setup_intent.succeeded  store the card a SetupIntent saved where no card is on file yet
//     (save-setup-intent-card.ts; a replacement is stored by the page's confirm call).
// Events about objects Tollgate did not make (no metadata of ours, another team's customer) and every
// other event type are acknowledged and ignored, so Stripe stops sending them.
import type Stripe from "stripe";
import { SYSTEM_ACTOR } from "@/lib/audit/write-audit-log";
import type { Db } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { type AnnouncedOutcome, settleAnnouncedCharge } from "./charge-card";
import { recordCardRefunds } from "./record-card-refunds";
import { saveSetupIntentCard } from "./save-setup-intent-card";
import { ATTEMPT_KEY_METADATA, chargeResultOfIntent, type StripePaymentProvider } from "./stripe-provider";

export type StripeEventOutcome = AnnouncedOutcome | "refunds_recorded" | "card_saved" | "ignored";

function idOf(value: string | { id: string } | null): string | null {
  return typeof value === "string" ? value : (value?.id ?? null);
}

async function settleIntent(db: Db, intent: Stripe.PaymentIntent): Promise<StripeEventOutcome> {
  const idempotencyKey = intent.metadata?.[ATTEMPT_KEY_METADATA];
  const result = chargeResultOfIntent(intent);
  if (!idempotencyKey || !result) return "ignored";
  const outcome = await settleAnnouncedCharge(db, { idempotencyKey, result });
  return outcome === "unknown_attempt" ? "ignored" : outcome;
}

async function recordRefunds(db: Db, stripe: StripePaymentProvider, charge: Stripe.Charge): Promise<StripeEventOutcome> {
  const paymentIntentId = idOf(charge.payment_intent);
  if (!paymentIntentId) return "ignored";
  const recorded = await recordCardRefunds(db, { chargeId: paymentIntentId, refunds: await stripe.listRefunds(paymentIntentId) });
  return recorded > 0 ? "refunds_recorded" : "ignored";
}

async function saveCard(db: Db, stripe: StripePaymentProvider, setupIntent: Stripe.SetupIntent): Promise<StripeEventOutcome> {
  try {
    const saved = await saveSetupIntentCard(db, stripe, { setupIntentId: setupIntent.id, actor: SYSTEM_ACTOR, onlyWithoutCard: true });
    return saved.changed ? "card_saved" : "ignored";
  } catch (error) {
    if (error instanceof DomainError && (error.code === "not_found" || error.code === "unprocessable")) return "ignored";
    throw error;
  }
}

export async function handleStripeEvent(db: Db, stripe: StripePaymentProvider, event: Stripe.Event): Promise<StripeEventOutcome> {
  switch (event.type) {
    case "payment_intent.succeeded":
    case "payment_intent.payment_failed":
      return settleIntent(db, event.data.object);
    case "charge.refunded":
      return recordRefunds(db, stripe, event.data.object);
    case "setup_intent.succeeded":
      return saveCard(db, stripe, event.data.object);
    default:
      return "ignored";
  }
}
