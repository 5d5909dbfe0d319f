// Pays a plan fee inside the caller's transaction (the billing account row is locked by the caller):
// from the balance when it covers the amount, else from the stored card for the whole amount (the
// balance is kept for usage). Every movement is a ledger entry; the references make a retry with the
// same key a no-op rather than a second charge.
import type { Prisma } from "@/lib/db";
import type { PaymentProvider } from "./payment-provider";
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
  balanceMinor: number;
  paymentMethodRef: string | null;
}

/**
 * `lines` are posted as they are (credits first); the net (fees − credits) is what must be paid.
 * `reference` is unique per account and payment, e.g. `renewal:<appId>:<periodStartUnix>`.
 */
export async function payPlanFee(
  tx: Prisma.TransactionClient,
  provider: PaymentProvider,
  input: {
    account: Account;
    lines: PlanFeeLine[];
    reference: string;
    periodStart: Date;
    trigger: string;
    /** A card that declined this fee before is not charged again. */
    skipCardRef?: string | null;
    description: string;
  },
): Promise<PlanFeePayment> {
  const netMinor = input.lines.reduce((sum, line) => sum + (line.kind === "plan_fee" ? line.amountMinor : -line.amountMinor), 0);
  let source: "balance" | "card" | "none" = netMinor <= 0 ? "none" : "balance";
  if (netMinor > 0 && input.account.balanceMinor < netMinor) {
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
    const charge = await provider.charge({ paymentMethodRef: card, amountMinor: netMinor, idempotencyKey: `${input.reference}:${card}`, description: input.description });
    await tx.paymentAttempt.create({
      data: {
        billingAccountId: input.account.id,
        kind: "plan_fee",
        status: charge.status,
        amountMinor: netMinor,
        providerReference: charge.status === "succeeded" ? charge.chargeId : charge.declineCode,
        failureReason: charge.status === "declined" ? charge.message : null,
        trigger: input.trigger,
        paymentMethodRef: card,
      },
    });
    if (charge.status === "declined") {
      return { paid: false, declinedPaymentMethodRef: card, reason: `The card ending ${card.slice(-4)} was declined: ${charge.message} (${charge.declineCode})` };
    }
    await postLedgerEntry(tx, {
      billingAccountId: input.account.id,
      kind: "card_payment",
      amountMinor: netMinor,
      description: `Card ending ${card.slice(-4)}: ${input.description}`,
      reference: `${input.reference}:card`,
      periodStart: input.periodStart,
    });
    source = "card";
  }
  let balanceMinor = input.account.balanceMinor + (source === "card" ? netMinor : 0);
  const ordered = [...input.lines].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === "plan_credit" ? -1 : 1));
  for (const [index, line] of ordered.entries()) {
    if (line.amountMinor === 0) continue;
    const entry = await postLedgerEntry(tx, {
      billingAccountId: input.account.id,
      kind: line.kind,
      amountMinor: line.kind === "plan_fee" ? -line.amountMinor : line.amountMinor,
      description: line.description,
      reference: `${input.reference}:${index}`,
      periodStart: input.periodStart,
    });
    balanceMinor = entry.balanceAfterMinor;
  }
  return { paid: true, source, chargedMinor: Math.max(netMinor, 0), balanceMinor };
}

function formatCents(minor: number): string {
  return `$${(minor / 100).toFixed(2)}`;
}
