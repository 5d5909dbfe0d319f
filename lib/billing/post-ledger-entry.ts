// Every movement of a balance is a ledger entry written in the same transaction as the balance
// update; the atomic increment keeps concurrent movements from losing each other.
import type { Prisma } from "@/lib/db";

export interface LedgerEntryInput {
  billingAccountId: string;
  kind: "top_up" | "overage_debit" | "auto_recharge" | "refund" | "adjustment";
  /** Signed: credits positive, debits negative. */
  amountMinor: number;
  description: string;
  /** Idempotency reference: a payment's charge id or a usage batch id; unique per account. */
  reference?: string;
}

export async function postLedgerEntry(tx: Prisma.TransactionClient, input: LedgerEntryInput) {
  const account = await tx.billingAccount.update({
    where: { id: input.billingAccountId },
    data: { balanceMinor: { increment: input.amountMinor } },
    select: { balanceMinor: true },
  });
  return tx.ledgerEntry.create({
    data: {
      billingAccountId: input.billingAccountId,
      kind: input.kind,
      amountMinor: input.amountMinor,
      balanceAfterMinor: account.balanceMinor,
      description: input.description,
      reference: input.reference ?? null,
    },
  });
}
