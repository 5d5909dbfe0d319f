// How the billing page takes a card: with Stripe configured (the billing answer carries its publishable
// key), in Stripe's own card fields (Elements), so no card number is typed into our forms; with the
// built-in test provider, in the card-number fields as before.
import type { Billing } from "@/components/api-types";

export type CardEntry = { kind: "stripe"; publishableKey: string } | { kind: "card_number" };

export function cardEntryOf(billing: Pick<Billing, "stripe">): CardEntry {
  return billing.stripe ? { kind: "stripe", publishableKey: billing.stripe.publishableKey } : { kind: "card_number" };
}

export interface TopUpCardChoice {
  /** The top-up charges the card on file (the request carries no card number). */
  chargesStoredCard: boolean;
  /** "Card ending … / Another card" radios. */
  showsCardChoice: boolean;
  showsCardNumber: boolean;
}

/** With Stripe a top-up always charges the card on file (another card is added in the Card section first). */
export function topUpCardChoice(billing: Pick<Billing, "stripe" | "paymentMethod">, useStoredCard: boolean): TopUpCardChoice {
  if (cardEntryOf(billing).kind === "stripe") return { chargesStoredCard: true, showsCardChoice: false, showsCardNumber: false };
  const chargesStoredCard = useStoredCard && billing.paymentMethod !== null;
  return { chargesStoredCard, showsCardChoice: billing.paymentMethod !== null, showsCardNumber: !chargesStoredCard };
}
