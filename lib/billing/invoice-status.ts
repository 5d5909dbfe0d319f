// Invoice rows: one per app and period, created when the period opens (draft) and closed when the next
// period's renewal runs: past_due when the period's plan fee was never paid, issued when usage left the
// balance below zero (money still owed), paid otherwise.
import { randomBytes } from "node:crypto";
import type { Prisma } from "@/lib/db";
import type { BillingPeriod } from "@/lib/periods/billing-period";

export function newInvoiceId(): string {
  return `inv_${randomBytes(9).toString("base64url")}`;
}

export async function ensureInvoice(tx: Prisma.TransactionClient, input: { appId: string; period: BillingPeriod }): Promise<void> {
  // ON CONFLICT DO NOTHING: concurrent sweeps may both get here before either holds a lock.
  await tx.invoice.createMany({
    data: [{ id: newInvoiceId(), appId: input.appId, periodStart: input.period.start, periodEnd: input.period.end }],
    skipDuplicates: true,
  });
}

export async function closeInvoicesBefore(tx: Prisma.TransactionClient, input: { appId: string; before: Date; unpaidFeeMinor: number; now: Date }): Promise<void> {
  const account = await tx.billingAccount.findUnique({ where: { appId: input.appId }, select: { balanceMinor: true } });
  const status = input.unpaidFeeMinor > 0 ? "past_due" : (account?.balanceMinor ?? 0) < 0 ? "issued" : "paid";
  await tx.invoice.updateMany({
    where: { appId: input.appId, status: "draft", periodStart: { lt: input.before } },
    data: { status, issuedAt: input.now, ...(status === "paid" ? { paidAt: input.now } : {}) },
  });
}
