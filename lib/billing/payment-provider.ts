// Payments go through this interface; the built-in test provider needs no network and behaves by card
// number (documented in docs/dashboard-api.md and shown in the dashboard):
//   4242424242424242  saved and charged successfully
//   4000000000000002  declined: card_declined
//   4000000000009995  declined: insufficient_funds
//   4000000000000341  saved, but every later charge declines (card_declined) — to try failing auto-recharge
// A card is never stored: only a reference (`pm_test_<last4>`) is.
import { createHash } from "node:crypto";
import { getStripeProvider } from "./stripe-provider";

export type SavePaymentMethodResult =
  | { status: "saved"; paymentMethodRef: string; brand: string; last4: string }
  | { status: "declined"; declineCode: string; message: string }
  | { status: "invalid"; message: string };

export type ChargeResult = { status: "succeeded"; chargeId: string } | { status: "declined"; declineCode: string; message: string };

export type RefundResult = { status: "refunded"; refundId: string } | { status: "failed"; message: string };

export interface PaymentProvider {
  savePaymentMethod(cardNumber: string): Promise<SavePaymentMethodResult>;
  /**
   * Charges a saved method. The provider keeps the idempotency key: a repeated key, from any process,
   * returns the first outcome (charge-card.ts relies on it to finish a charge a crashed process began).
   */
  charge(input: { paymentMethodRef: string; amountMinor: number; idempotencyKey: string; description: string }): Promise<ChargeResult>;
  /** Returns money of a succeeded charge to its card; like `charge`, a repeated key gets the first outcome. */
  refund(input: { chargeId: string; amountMinor: number; idempotencyKey: string }): Promise<RefundResult>;
}

type TestCardBehaviour = "succeeds" | "declines" | "insufficient_funds" | "charges_decline";

export const TEST_CARDS: readonly { number: string; behaviour: TestCardBehaviour; outcome: string }[] = [
  { number: "4242424242424242", behaviour: "succeeds", outcome: "succeeds" },
  { number: "4000000000000002", behaviour: "declines", outcome: "declined (card_declined)" },
  { number: "4000000000009995", behaviour: "insufficient_funds", outcome: "declined (insufficient_funds)" },
  { number: "4000000000000341", behaviour: "charges_decline", outcome: "saved, but later charges decline (card_declined)" },
];

export function normalizeCardNumber(cardNumber: string): string {
  return cardNumber.replace(/[\s-]/g, "");
}

/**
 * The stored card as the dashboard shows it. A provider that reports brand and last digits (Stripe) has
 * them stored beside the reference; the test provider's reference ends with the card's last digits.
 */
export function describePaymentMethod(
  paymentMethodRef: string | null,
  reported: { brand: string | null; last4: string | null } = { brand: null, last4: null },
): { ref: string; brand: string; last4: string } | null {
  if (!paymentMethodRef) return null;
  return { ref: paymentMethodRef, brand: reported.brand ?? "visa", last4: reported.last4 ?? paymentMethodRef.slice(-4) };
}

/**
 * Like a real provider, the outcome of a charge depends only on its card and idempotency key, so every
 * web replica (and a restarted one) answers a repeated key with the same charge: a process-local memory
 * of keys would let a retry on another replica charge again.
 */
export class TestPaymentProvider implements PaymentProvider {
  private behaviourOf(last4: string): TestCardBehaviour | undefined {
    return TEST_CARDS.find((card) => card.number.endsWith(last4))?.behaviour;
  }

  async savePaymentMethod(cardNumber: string): Promise<SavePaymentMethodResult> {
    const number = normalizeCardNumber(cardNumber);
    const card = TEST_CARDS.find((candidate) => candidate.number === number);
    if (!card) return { status: "invalid", message: "Unknown card number: use one of the documented test cards" };
    if (card.behaviour === "declines") return { status: "declined", declineCode: "card_declined", message: "The card was declined" };
    if (card.behaviour === "insufficient_funds") {
      return { status: "declined", declineCode: "insufficient_funds", message: "The card has insufficient funds" };
    }
    const last4 = number.slice(-4);
    return { status: "saved", paymentMethodRef: `pm_test_${last4}`, brand: "visa", last4 };
  }

  async charge(input: { paymentMethodRef: string; amountMinor: number; idempotencyKey: string }): Promise<ChargeResult> {
    const behaviour = this.behaviourOf(input.paymentMethodRef.replace(/^pm_test_/, ""));
    if (behaviour !== "succeeds") return { status: "declined", declineCode: "card_declined", message: "The card was declined" };
    const chargeId = createHash("sha256").update(`${input.paymentMethodRef}\n${input.idempotencyKey}`).digest("base64url").slice(0, 24);
    return { status: "succeeded", chargeId: `ch_test_${chargeId}` };
  }

  async refund(input: { chargeId: string; amountMinor: number; idempotencyKey: string }): Promise<RefundResult> {
    if (!input.chargeId.startsWith("ch_test_")) return { status: "failed", message: "No such charge" };
    if (!Number.isInteger(input.amountMinor) || input.amountMinor <= 0) return { status: "failed", message: "A refund must be a positive amount" };
    const refundId = createHash("sha256").update(`${input.chargeId}\n${input.idempotencyKey}`).digest("base64url").slice(0, 24);
    return { status: "refunded", refundId: `re_test_${refundId}` };
  }
}

let provider: PaymentProvider | undefined;

/** The process's provider: Stripe when STRIPE_SECRET_KEY is set (stripe-provider.ts), else the test provider. */
export function getPaymentProvider(): PaymentProvider {
  provider ??= getStripeProvider() ?? new TestPaymentProvider();
  return provider;
}
