// The team's wallet (issue 27): one BillingAccount per tenant, which every app of the team pays its plan
// fees and usage from and which auto-recharge tops up. A team gets its account with its first app; the
// helpers here create it on demand, so a team that somehow has none (a team created before its first
// app) is never refused for it.
import type { Db, Prisma } from "@/lib/db";
import { notFound } from "@/lib/errors";
import type { BillingAccount } from "@/lib/generated/prisma/client";
import { calendarMonthAt } from "@/lib/periods/billing-period";

type Client = Db | Prisma.TransactionClient;

/** The team's account, created when missing (ON CONFLICT DO NOTHING: concurrent creators agree on one). */
export async function teamAccount(db: Client, tenantId: string): Promise<BillingAccount> {
  await db.billingAccount.createMany({ data: [{ tenantId }], skipDuplicates: true });
  return db.billingAccount.findUniqueOrThrow({ where: { tenantId } });
}

/**
 * The team's account, locked for the rest of the transaction: every movement of the team's balance
 * that first decides on it (a plan fee, a usage charge against the team's cap, auto-recharge) takes
 * this lock, so decisions made for different apps of one team never interleave.
 */
export async function lockTeamAccount(tx: Prisma.TransactionClient, tenantId: string): Promise<BillingAccount> {
  await tx.billingAccount.createMany({ data: [{ tenantId }], skipDuplicates: true });
  await tx.$queryRaw`SELECT "id" FROM "BillingAccount" WHERE "tenantId" = ${tenantId} FOR UPDATE`;
  return tx.billingAccount.findUniqueOrThrow({ where: { tenantId } });
}

/** The team an app belongs to (deleted apps included: their usage and fees stay the team's). */
export async function tenantOfApp(db: Client, appId: string): Promise<string> {
  const app = await db.app.findUnique({ where: { id: appId }, select: { tenantId: true } });
  if (!app) throw notFound("App");
  return app.tenantId;
}

/** The account of the team an app belongs to. */
export async function teamAccountOfApp(db: Client, appId: string): Promise<BillingAccount> {
  return teamAccount(db, await tenantOfApp(db, appId));
}

/** The usage charges (overage and pay-as-you-go) of all the team's apps this month. */
export async function teamUsageChargesMinor(db: Client, input: { billingAccountId: string; now: Date }): Promise<number> {
  const spent = await db.ledgerEntry.aggregate({
    where: { billingAccountId: input.billingAccountId, kind: "overage_debit", createdAt: { gte: calendarMonthAt(input.now).start } },
    _sum: { amountMinor: true },
  });
  return -(spent._sum.amountMinor ?? 0);
}
