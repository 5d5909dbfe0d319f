// Every movement of a balance is a ledger entry written in the same transaction as the balance
// update; the atomic increment keeps concurrent movements from losing each other.
import type { Prisma } from "@/lib/db";
import type { LedgerEntryKind } from "@/lib/generated/prisma/client";

export interface LedgerEntryInput {
  billingAccountId: string;
  /** The app the entry is for (a line per app on the team's invoice); absent for the team's own movements. */
  appId?: string | null;
  kind: LedgerEntryKind;
  /** Signed: credits positive, debits negative. */
  amountMinor: number;
  description: string;
  /** Idempotency reference: a payment's charge id or a usage batch id and app; unique per account. */
  reference?: string;
  /** The billing period (invoice) the entry belongs to; entries without one fall in the period of their date. */
  periodStart?: Date;
  /** Usage debits: the amount split by priced component. */
  breakdown?: Record<string, number>;
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
      appId: input.appId ?? null,
      kind: input.kind,
      amountMinor: input.amountMinor,
      balanceAfterMinor: account.balanceMinor,
      description: input.description,
      reference: input.reference ?? null,
      periodStart: input.periodStart ?? null,
      ...(input.breakdown ? { breakdown: input.breakdown } : {}),
    },
  });
}
