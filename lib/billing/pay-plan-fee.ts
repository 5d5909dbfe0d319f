// Pays an app's plan fee from its team's wallet inside the caller's transaction (the caller locked the
// team's account row, lockTeamAccount, so fees of two apps of a team never both count the same money):
// from the balance when it covers the amount, else from the stored card for the whole amount (the
// balance is kept for usage). The card is never charged here, inside a transaction that holds locks:
// `payPlanFee` throws CardChargeNeeded, the caller's transaction rolls back, `withCardFallback` charges the
// card (charge-card.ts credits the balance with a card_payment entry) and runs the transaction again,
// which then pays from that credit. Every movement is a ledger entry; the references make a retry with
// the same key a no-op rather than a second charge.
import type { Db, Prisma } from "@/lib/db";
import { type CardChargeOutcome, chargeCardOnce } from "./charge-card";
import type { PaymentProvider } from "./payment-provider";
import { recordRelayChange } from "@/lib/relay/relay-feed";
import { postLedgerEntry } from "./post-ledger-entry";

export interface PlanFeeLine {
  kind: "plan_fee" | "plan_credit";
  /** Positive: the fee debited, or the credit given. */
  amountMinor: number;
  description: string;
}

export type PlanFeePayment =
  | { paid: true; source: "balance" | "card" | "none"; chargedMinor: number; balanceMinor: number }
  | { paid: false; reason: string; declinedPaymentMethodRef: string | null };

interface Account {
  id: string;
  tenantId: string;
  balanceMinor: number;
  paymentMethodRef: string | null;
}

/** What the card must pay before the transaction can go on; thrown from inside it. */
export class CardChargeNeeded extends Error {
  constructor(
    readonly charge: { billingAccountId: string; paymentMethodRef: string; amountMinor: number; idempotencyKey: string; trigger: string; description: string },
  ) {
    super("A card charge is needed before this transaction can complete");
  }
}

/**
 * Runs `work` in a transaction; when it throws CardChargeNeeded (rolling back), charges the card with no
 * transaction open and runs `work` once more with the outcome. The second run pays from the credited
 * balance, or reports the decline. Only one card charge per call.
 */
export async function withCardFallback<T>(
  db: Db,
  provider: PaymentProvider,
  work: (tx: Prisma.TransactionClient, card: CardChargeOutcome | null) => Promise<T>,
  options: { timeout: number },
): Promise<T> {
  try {
    return await db.$transaction((tx) => work(tx, null), options);
  } catch (error) {
    if (!(error instanceof CardChargeNeeded)) throw error;
    const card = await chargeCardOnce(db, provider, { ...error.charge, kind: "plan_fee" });
    return db.$transaction((tx) => work(tx, card), options);
  }
}

/**
 * `lines` are posted as they are (credits first); the net (fees − credits) is what must be paid.
 * `reference` is unique per account and payment, e.g. `renewal:<appId>:<periodStartUnix>`.
 * `card` is the outcome of the card charge withCardFallback made for this payment (null on the first run).
 */
export async function payPlanFee(
  tx: Prisma.TransactionClient,
  input: {
    account: Account;
    /** The app whose fee this is: its lines on the team's invoice. */
    appId: string;
    lines: PlanFeeLine[];
    reference: string;
    periodStart: Date;
    trigger: string;
    /** A card that declined this fee before is not charged again. */
    skipCardRef?: string | null;
    description: string;
    card: CardChargeOutcome | null;
  },
): Promise<PlanFeePayment> {
  const netMinor = input.lines.reduce((sum, line) => sum + (line.kind === "plan_fee" ? line.amountMinor : -line.amountMinor), 0);
  let source: "balance" | "card" | "none" = netMinor <= 0 ? "none" : "balance";
  if (netMinor > 0 && input.card?.status === "succeeded") {
    // The card paid for this fee (its credit is in the balance, maybe already drawn on by usage).
    source = "card";
  } else if (netMinor > 0 && input.account.balanceMinor < netMinor) {
    if (input.card?.status === "declined") {
      const declined = input.card.paymentMethodRef;
      return { paid: false, declinedPaymentMethodRef: declined, reason: `The card ending ${declined.slice(-4)} was declined: ${input.card.message} (${input.card.declineCode})` };
    }
    const card = input.account.paymentMethodRef;
    if (!card || card === input.skipCardRef) {
      return {
        paid: false,
        declinedPaymentMethodRef: input.skipCardRef ?? null,
        reason: card
          ? `The card ending ${card.slice(-4)} was declined for this fee; add funds or save another card`
          : `The balance (${formatCents(input.account.balanceMinor)}) does not cover ${formatCents(netMinor)} and there is no card on file`,
      };
    }
    throw new CardChargeNeeded({
      billingAccountId: input.account.id,
      paymentMethodRef: card,
      amountMinor: netMinor,
      idempotencyKey: `${input.reference}:${card}`,
      trigger: input.trigger,
      description: input.description,
    });
  }
  let balanceMinor = input.account.balanceMinor;
  const ordered = [...input.lines].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === "plan_credit" ? -1 : 1));
  for (const [index, line] of ordered.entries()) {
    if (line.amountMinor === 0) continue;
    const entry = await postLedgerEntry(tx, {
      billingAccountId: input.account.id,
      appId: input.appId,
      kind: line.kind,
      amountMinor: line.kind === "plan_fee" ? -line.amountMinor : line.amountMinor,
      description: line.description,
      reference: `${input.reference}:${index}`,
      periodStart: input.periodStart,
    });
    balanceMinor = entry.balanceAfterMinor;
  }
  // The team's balance moved: every app of the team spends from it, so each one's relays must see it.
  if (balanceMinor !== input.account.balanceMinor) await recordRelayChange(tx, { tenantId: input.account.tenantId });
  return { paid: true, source, chargedMinor: Math.max(netMinor, 0), balanceMinor };
}

function formatCents(minor: number): string {
  return `$${(minor / 100).toFixed(2)}`;
}
