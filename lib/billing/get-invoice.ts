// A team's invoices as the dashboard, the API and the documents (CSV, HTML, PDF) show them: the issued
// ones exactly as issued (issue-invoices.ts), and the upcoming one, read from the entries no invoice lists
// yet (it changes until the month closes and has no number).
import type { Db } from "@/lib/db";
import { notFound } from "@/lib/errors";
import type { Invoice } from "@/lib/generated/prisma/client";
import { calendarMonthAt } from "@/lib/periods/billing-period";
import { amountOwedMinor, entriesOf } from "./issue-invoices";
import { composeInvoice, type InvoiceLine, type InvoicePayment, invoiceTotals } from "./invoice-lines";
import { getBillingDetails, getOperatorSettings } from "./invoice-parties";
import type { PartyDetails } from "./invoice-parties.types";

export type { InvoiceLine, InvoicePayment } from "./invoice-lines";

/** The id the upcoming invoice answers to in routes and pages. */
export const UPCOMING_INVOICE_ID = "upcoming";

export interface InvoiceView {
  id: string;
  /** null: the upcoming invoice, not issued yet. */
  number: string | null;
  kind: "invoice" | "credit_note";
  tenantId: string;
  periodStart: string;
  periodEnd: string;
  status: "upcoming" | "open" | "paid" | "void";
  issuedAt: string | null;
  dueAt: string | null;
  paidAt: string | null;
  voidReason: string | null;
  /** A credit note's invoice number. */
  correctsNumber: string | null;
  seller: PartyDetails;
  buyer: PartyDetails;
  currency: "USD";
  lines: InvoiceLine[];
  payments: InvoicePayment[];
  chargesMinor: number;
  creditsMinor: number;
  totalMinor: number;
  /** What the team owed when the invoice was issued (the upcoming one: owes now). */
  amountDueMinor: number;
}

function toView(invoice: Invoice, correctsNumber: string | null): InvoiceView {
  const lines = invoice.lines as unknown as InvoiceLine[];
  return {
    id: invoice.id,
    number: invoice.number,
    kind: invoice.kind,
    tenantId: invoice.tenantId,
    periodStart: invoice.periodStart.toISOString(),
    periodEnd: invoice.periodEnd.toISOString(),
    status: invoice.status,
    issuedAt: invoice.issuedAt.toISOString(),
    dueAt: invoice.dueAt.toISOString(),
    paidAt: invoice.paidAt?.toISOString() ?? null,
    voidReason: invoice.voidReason,
    correctsNumber,
    seller: invoice.seller as unknown as PartyDetails,
    buyer: invoice.buyer as unknown as PartyDetails,
    currency: "USD",
    lines,
    payments: invoice.payments as unknown as InvoicePayment[],
    ...invoiceTotals(lines),
    amountDueMinor: invoice.amountDueMinor,
  };
}

/** What the team's next invoice holds so far: every entry no invoice lists yet. */
export async function getUpcomingInvoice(db: Db, input: { tenantId: string; now?: Date }): Promise<InvoiceView> {
  const month = calendarMonthAt(input.now ?? new Date());
  const [entries, seller, buyer, owed] = await Promise.all([
    entriesOf(db, { invoiceId: null, billingAccount: { tenantId: input.tenantId } }),
    getOperatorSettings(db),
    getBillingDetails(db, input.tenantId),
    amountOwedMinor(db, input.tenantId),
  ]);
  const { lines, payments } = composeInvoice(entries);
  return {
    id: UPCOMING_INVOICE_ID,
    number: null,
    kind: "invoice",
    tenantId: input.tenantId,
    periodStart: month.start.toISOString(),
    periodEnd: month.end.toISOString(),
    status: "upcoming",
    issuedAt: null,
    dueAt: null,
    paidAt: null,
    voidReason: null,
    correctsNumber: null,
    seller: { name: seller.name, address: seller.address, taxId: seller.taxId, email: seller.email },
    buyer,
    currency: "USD",
    lines,
    payments,
    ...invoiceTotals(lines),
    amountDueMinor: owed,
  };
}

export async function getInvoice(db: Db, input: { tenantId: string; invoiceId: string }): Promise<InvoiceView> {
  if (input.invoiceId === UPCOMING_INVOICE_ID) return getUpcomingInvoice(db, { tenantId: input.tenantId });
  const invoice = await db.invoice.findFirst({ where: { id: input.invoiceId, tenantId: input.tenantId } });
  if (!invoice) throw notFound("Invoice");
  const corrects = invoice.correctsInvoiceId ? await db.invoice.findUnique({ where: { id: invoice.correctsInvoiceId }, select: { number: true } }) : null;
  return toView(invoice, corrects?.number ?? null);
}

/** The team's issued invoices and credit notes, newest first. */
export async function listInvoices(db: Db, input: { tenantId: string }): Promise<InvoiceView[]> {
  const invoices = await db.invoice.findMany({ where: { tenantId: input.tenantId }, orderBy: [{ issuedAt: "desc" }, { number: "desc" }] });
  const numbers = new Map(invoices.map((invoice) => [invoice.id, invoice.number]));
  return invoices.map((invoice) => toView(invoice, invoice.correctsInvoiceId ? (numbers.get(invoice.correctsInvoiceId) ?? null) : null));
}
