// Issuing a team's invoices, run by the issue-invoices job (lib/jobs/job-tasks.ts), never by a read.
// A team is invoiced per calendar month (UTC). Each invoice claims the team's ledger entries not yet on
// an invoice and created before its month's end (LedgerEntry.invoiceId), so every entry is on exactly one
// invoice: one that lands after its month was invoiced (a late usage flush) goes on the next one. The lines,
// the seller's and buyer's details and the totals are copied into the invoice when it is issued.
//
// Numbers are gapless per deployment and series: the DocumentCounter row is incremented in the issuing
// transaction, whose row lock orders concurrent issuers and whose rollback gives the number back.
import { randomBytes } from "node:crypto";
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db, Prisma } from "@/lib/db";
import { DomainError, notFound } from "@/lib/errors";
import { type BillingPeriod, calendarMonthAt } from "@/lib/periods/billing-period";
import { composeInvoice, type InvoicedEntry, invoiceTotals, TEAM_WALLET_NAME } from "./invoice-lines";
import { getBillingDetails, getOperatorSettings } from "./invoice-parties";

export type DocumentSeries = "invoice" | "credit_note";

const SERIES_PREFIX: Record<DocumentSeries, string> = { invoice: "INV", credit_note: "CN" };

const DAY_MS = 86_400_000;

export function newInvoiceId(): string {
  return `inv_${randomBytes(9).toString("base64url")}`;
}

/** The next number of the series, taken in the caller's transaction (held until it commits). */
export async function nextDocumentNumber(tx: Prisma.TransactionClient, series: DocumentSeries): Promise<string> {
  const [row] = await tx.$queryRaw<{ lastNumber: number }[]>`
    INSERT INTO "DocumentCounter" ("series", "lastNumber") VALUES (${series}, 1)
    ON CONFLICT ("series") DO UPDATE SET "lastNumber" = "DocumentCounter"."lastNumber" + 1
    RETURNING "lastNumber"`;
  if (!row) throw new Error("the document counter returned no row");
  return `${SERIES_PREFIX[series]}-${String(row.lastNumber).padStart(6, "0")}`;
}

/** What the team owes now: balances below zero and plan fees past due. */
export async function amountOwedMinor(db: Db | Prisma.TransactionClient, tenantId: string): Promise<number> {
  const [negative, pastDue] = await Promise.all([
    db.billingAccount.aggregate({ where: { tenantId, balanceMinor: { lt: 0 } }, _sum: { balanceMinor: true } }),
    db.appSubscription.aggregate({ where: { app: { tenantId }, status: "past_due" }, _sum: { amountDueMinor: true } }),
  ]);
  return -(negative._sum.balanceMinor ?? 0) + (pastDue._sum.amountDueMinor ?? 0);
}

/** The ledger entries an invoice lists, with their apps. */
export async function entriesOf(db: Db | Prisma.TransactionClient, where: Prisma.LedgerEntryWhereInput): Promise<InvoicedEntry[]> {
  const entries = await db.ledgerEntry.findMany({
    where,
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { kind: true, amountMinor: true, description: true, breakdown: true, createdAt: true, app: { select: { id: true, name: true } } },
  });
  return entries.map(({ app, ...entry }) => ({ ...entry, appId: app?.id ?? null, appName: app?.name ?? TEAM_WALLET_NAME }));
}

/**
 * Writes a numbered document for the given entries (already chosen by the caller) and claims them. Runs
 * in the caller's transaction, which holds the team's row lock.
 */
export async function writeDocument(
  tx: Prisma.TransactionClient,
  input: { tenantId: string; series: DocumentSeries; period: BillingPeriod; claim: Prisma.LedgerEntryWhereInput; now: Date; correctsInvoiceId?: string },
): Promise<{ id: string; number: string; totalMinor: number } | null> {
  const claimable = { ...input.claim, invoiceId: null, billingAccount: { tenantId: input.tenantId } };
  if ((await tx.ledgerEntry.count({ where: claimable })) === 0) return null;
  const [seller, buyer, number] = [await getOperatorSettings(tx), await getBillingDetails(tx, input.tenantId), await nextDocumentNumber(tx, input.series)];
  const id = newInvoiceId();
  await tx.invoice.create({
    data: {
      id,
      tenantId: input.tenantId,
      kind: input.series,
      number,
      periodStart: input.period.start,
      periodEnd: input.period.end,
      status: "open",
      issuedAt: input.now,
      dueAt: new Date(input.now.getTime() + seller.paymentTermsDays * DAY_MS),
      seller: { name: seller.name, address: seller.address, taxId: seller.taxId, email: seller.email },
      buyer: { ...buyer },
      lines: [],
      totalMinor: 0,
      correctsInvoiceId: input.correctsInvoiceId ?? null,
    },
  });
  await tx.ledgerEntry.updateMany({ where: claimable, data: { invoiceId: id } });
  const { lines, payments } = composeInvoice(await entriesOf(tx, { invoiceId: id }));
  const { totalMinor } = invoiceTotals(lines);
  const amountDueMinor = input.series === "invoice" && totalMinor > 0 ? await amountOwedMinor(tx, input.tenantId) : 0;
  await tx.invoice.update({
    where: { id },
    data: {
      lines: lines.map((line) => ({ ...line })),
      payments: payments.map((payment) => ({ ...payment })),
      totalMinor,
      amountDueMinor,
      ...(amountDueMinor > 0 ? {} : { status: "paid", paidAt: input.now }),
    },
  });
  return { id, number, totalMinor };
}

/** Locks the team's row for the rest of the transaction: one issuer per team at a time. */
export async function lockTenant(tx: Prisma.TransactionClient, tenantId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM "Tenant" WHERE id = ${tenantId} FOR UPDATE`;
}

/**
 * Issues the team's invoices for every closed month that has entries and no invoice yet, oldest first.
 * Idempotent: a month already invoiced is skipped (its late entries wait for the next invoice).
 */
export async function issueTeamInvoices(db: Db, input: { tenantId: string; now?: Date }): Promise<string[]> {
  const now = input.now ?? new Date();
  const currentMonth = calendarMonthAt(now);
  return db.$transaction(
    async (tx) => {
      await lockTenant(tx, input.tenantId);
      const oldest = await tx.ledgerEntry.findFirst({
        where: { invoiceId: null, createdAt: { lt: currentMonth.start }, billingAccount: { tenantId: input.tenantId } },
        orderBy: { createdAt: "asc" },
        select: { createdAt: true },
      });
      const issued: string[] = [];
      for (let month = oldest ? calendarMonthAt(oldest.createdAt) : currentMonth; month.start < currentMonth.start; month = calendarMonthAt(month.end)) {
        // A voided month is issued again, under a new number, with the entries the void released.
        const invoiced = await tx.invoice.findFirst({ where: { tenantId: input.tenantId, kind: "invoice", periodStart: month.start, status: { not: "void" } }, select: { id: true } });
        if (invoiced) continue;
        const document = await writeDocument(tx, { tenantId: input.tenantId, series: "invoice", period: month, claim: { createdAt: { lt: month.end } }, now });
        if (document) issued.push(document.number);
      }
      return issued;
    },
    { timeout: 60_000 },
  );
}

/**
 * The job: issues the invoices of every team with entries from a closed month not yet invoiced, then marks
 * paid the open invoices of teams that owe nothing any more. Returns the numbers issued.
 */
export async function issueDueInvoices(db: Db, input: { now?: Date } = {}): Promise<string[]> {
  const now = input.now ?? new Date();
  const teams = await db.billingAccount.findMany({
    where: { ledgerEntries: { some: { invoiceId: null, createdAt: { lt: calendarMonthAt(now).start } } } },
    select: { tenantId: true },
  });
  const issued: string[] = [];
  for (const { tenantId } of teams) {
    try {
      issued.push(...(await issueTeamInvoices(db, { tenantId, now })));
    } catch (error) {
      console.error(JSON.stringify({ level: "error", msg: "issuing invoices failed", tenantId, error: error instanceof Error ? error.message : String(error) }));
    }
  }
  const open = await db.invoice.findMany({ where: { status: "open", kind: "invoice" }, distinct: ["tenantId"], select: { tenantId: true } });
  for (const { tenantId } of open) {
    if ((await amountOwedMinor(db, tenantId)) === 0) await db.invoice.updateMany({ where: { tenantId, status: "open", kind: "invoice" }, data: { status: "paid", paidAt: now } });
  }
  return issued;
}

/**
 * Voids an issued invoice (an admin's mistake to undo, with the reason printed on it): it keeps its number,
 * so the series stays gapless, and its entries are released: the next run of the job issues the month again
 * under a new number. An invoice a credit note corrects cannot be voided (the credit note would correct nothing).
 */
export async function voidInvoice(db: Db, input: { actor: Actor; invoiceId: string; reason: string; now?: Date }): Promise<void> {
  await db.$transaction(async (tx) => {
    const found = await tx.invoice.findUnique({ where: { id: input.invoiceId }, select: { tenantId: true } });
    if (!found) throw notFound("Invoice");
    await lockTenant(tx, found.tenantId);
    const invoice = await tx.invoice.findUniqueOrThrow({ where: { id: input.invoiceId } });
    if (invoice.kind !== "invoice") throw new DomainError("unprocessable", "A credit note cannot be voided");
    if (invoice.status === "void") throw new DomainError("conflict", `Invoice ${invoice.number} is already void`);
    if ((await tx.invoice.count({ where: { correctsInvoiceId: invoice.id } })) > 0) {
      throw new DomainError("conflict", `Invoice ${invoice.number} has credit notes: correct it with another credit instead`);
    }
    await tx.ledgerEntry.updateMany({ where: { invoiceId: invoice.id }, data: { invoiceId: null } });
    await tx.invoice.update({ where: { id: invoice.id }, data: { status: "void", voidedAt: input.now ?? new Date(), voidReason: input.reason } });
    await writeAuditLog(tx, { actor: input.actor, action: "billing.invoice_void", targetType: "tenant", targetId: invoice.tenantId, before: { number: invoice.number, status: invoice.status }, after: { status: "void", reason: input.reason } });
  });
}
