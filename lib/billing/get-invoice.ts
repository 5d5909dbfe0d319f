// An invoice's lines are its period's ledger entries (plan fees, credits, usage debits split by their
// recorded breakdown), so its total is the ledger's to the cent. Payments into the balance during the
// period (top-ups, auto-recharges, card payments of a fee) are listed apart: they pay, they are not charges.
import type { Db } from "@/lib/db";
import { notFound } from "@/lib/errors";
import type { LedgerEntry } from "@/lib/generated/prisma/client";
import { COST_COMPONENTS, type CostComponent } from "./pricing";

const PAYMENT_KINDS = new Set(["top_up", "auto_recharge", "card_payment"]);

const componentLabel: Record<CostComponent, string> = {
  overageMessagesMinor: "Overage messages",
  overageConnectionsMinor: "Overage connections",
  connectionMinutesMinor: "Pay-as-you-go connection-minutes beyond the free allowance",
  deliveredMessagesMinor: "Pay-as-you-go delivered messages beyond the free allowance",
  egressMinor: "Pay-as-you-go egress beyond the free allowance",
};

export interface InvoiceLine {
  kind: "plan_fee" | "usage" | "credit";
  description: string;
  /** Charges positive, credits negative. */
  amountMinor: number;
}

export interface InvoiceView {
  id: string;
  appId: string;
  appName: string;
  periodStart: string;
  periodEnd: string;
  status: "draft" | "issued" | "paid" | "past_due";
  issuedAt: string | null;
  paidAt: string | null;
  currency: "USD";
  lines: InvoiceLine[];
  chargesMinor: number;
  creditsMinor: number;
  totalMinor: number;
  /** A plan fee the renewal could not charge (past due), not in the total until paid. */
  amountDueMinor: number;
  payments: { description: string; amountMinor: number; at: string }[];
}

function isBreakdown(value: unknown): value is Partial<Record<CostComponent, number>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Lines of a period's entries, in a stable order: plan fees, usage by component, credits. */
export function invoiceLines(entries: Pick<LedgerEntry, "kind" | "amountMinor" | "description" | "breakdown">[]): InvoiceLine[] {
  const planFees: InvoiceLine[] = [];
  const credits: InvoiceLine[] = [];
  const usage = new Map<string, number>();
  for (const entry of entries) {
    if (PAYMENT_KINDS.has(entry.kind)) continue;
    if (entry.kind === "plan_fee") planFees.push({ kind: "plan_fee", description: entry.description, amountMinor: -entry.amountMinor });
    else if (entry.kind === "overage_debit") {
      const breakdown = isBreakdown(entry.breakdown) ? entry.breakdown : null;
      const parts = breakdown ? COST_COMPONENTS.map((component) => [component, breakdown[component] ?? 0] as const) : [];
      const itemised = parts.reduce((sum, [, amount]) => sum + amount, 0);
      for (const [component, amount] of parts) if (amount > 0) usage.set(componentLabel[component], (usage.get(componentLabel[component]) ?? 0) + amount);
      // Entries from before breakdowns were recorded (or any rest) stay one line, so the sum still holds.
      const rest = -entry.amountMinor - itemised;
      if (rest !== 0) usage.set("Usage charges", (usage.get("Usage charges") ?? 0) + rest);
    } else credits.push({ kind: "credit", description: entry.description, amountMinor: -entry.amountMinor });
  }
  const usageLines = [...usage].map(([description, amountMinor]): InvoiceLine => ({ kind: "usage", description, amountMinor }));
  return [...planFees, ...usageLines, ...credits];
}

async function periodEntries(db: Db, input: { appId: string; periodStart: Date; periodEnd: Date }) {
  return db.ledgerEntry.findMany({
    where: {
      billingAccount: { appId: input.appId },
      OR: [{ periodStart: input.periodStart }, { periodStart: null, createdAt: { gte: input.periodStart, lt: input.periodEnd } }],
    },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
}

export async function getInvoice(db: Db, input: { appId: string; invoiceId: string }): Promise<InvoiceView> {
  const invoice = await db.invoice.findFirst({
    where: { id: input.invoiceId, appId: input.appId },
    include: { app: { select: { name: true, subscription: { select: { status: true, amountDueMinor: true, renewedPeriodStart: true } } } } },
  });
  if (!invoice) throw notFound("Invoice");
  const entries = await periodEntries(db, invoice);
  const lines = invoiceLines(entries);
  const chargesMinor = lines.filter((line) => line.amountMinor > 0).reduce((sum, line) => sum + line.amountMinor, 0);
  const creditsMinor = -lines.filter((line) => line.amountMinor < 0).reduce((sum, line) => sum + line.amountMinor, 0);
  const subscription = invoice.app.subscription;
  const feeDueHere = subscription?.status === "past_due" && subscription.renewedPeriodStart.getTime() === invoice.periodStart.getTime();
  return {
    id: invoice.id,
    appId: invoice.appId,
    appName: invoice.app.name,
    periodStart: invoice.periodStart.toISOString(),
    periodEnd: invoice.periodEnd.toISOString(),
    status: feeDueHere ? "past_due" : invoice.status,
    issuedAt: invoice.issuedAt?.toISOString() ?? null,
    paidAt: invoice.paidAt?.toISOString() ?? null,
    currency: "USD",
    lines,
    chargesMinor,
    creditsMinor,
    totalMinor: chargesMinor - creditsMinor,
    amountDueMinor: feeDueHere ? (subscription?.amountDueMinor ?? 0) : 0,
    payments: entries
      .filter((entry) => PAYMENT_KINDS.has(entry.kind))
      .map((entry) => ({ description: entry.description, amountMinor: entry.amountMinor, at: entry.createdAt.toISOString() })),
  };
}

/** Every invoice of the app, newest first, with its totals. */
export async function listInvoices(db: Db, input: { appId: string }): Promise<InvoiceView[]> {
  const invoices = await db.invoice.findMany({ where: { appId: input.appId }, orderBy: { periodStart: "desc" }, select: { id: true } });
  return Promise.all(invoices.map((invoice) => getInvoice(db, { appId: input.appId, invoiceId: invoice.id })));
}
