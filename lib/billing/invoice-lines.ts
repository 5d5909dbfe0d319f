// What an invoice lists, from the ledger entries it covers: a line per app and kind (plan fees one by one,
// usage summed per priced component, credits and adjustments with their reasons), and apart from them the
// payments that moved money between a card and a balance (top-ups, card payments, refunds): those pay or
// return money, they are not charges. The lines add up to the entries' charges to the cent.
import type { LedgerEntry } from "@/lib/generated/prisma/client";
import { COST_COMPONENTS, type CostComponent } from "./pricing";

const PAYMENT_KINDS = new Set<string>(["top_up", "auto_recharge", "card_payment", "refund"]);

export type InvoiceLineKind = "plan_fee" | "overage" | "usage" | "credit" | "adjustment";

const componentLine: Record<CostComponent, { kind: InvoiceLineKind; label: string }> = {
  overageMessagesMinor: { kind: "overage", label: "Overage messages" },
  overageConnectionsMinor: { kind: "overage", label: "Overage connections" },
  connectionMinutesMinor: { kind: "usage", label: "Pay-as-you-go connection-minutes beyond the free allowance" },
  deliveredMessagesMinor: { kind: "usage", label: "Pay-as-you-go delivered messages beyond the free allowance" },
  egressMinor: { kind: "usage", label: "Pay-as-you-go egress beyond the free allowance" },
};

/** What an invoice names an entry of no single app (a top-up, an auto-recharge): the team's wallet. */
export const TEAM_WALLET_NAME = "Team wallet";

export interface InvoiceLine {
  /** Null: the team's own (no single app). */
  appId: string | null;
  appName: string;
  kind: InvoiceLineKind;
  description: string;
  /** Charges positive, credits negative. */
  amountMinor: number;
}

export interface InvoicePayment {
  appId: string | null;
  appName: string;
  description: string;
  /** As it moved the balance: money in positive, a refund to the card negative. */
  amountMinor: number;
  at: string;
}

export type InvoicedEntry = Pick<LedgerEntry, "kind" | "amountMinor" | "description" | "breakdown" | "createdAt"> & { appId: string | null; appName: string };

function isBreakdown(value: unknown): value is Partial<Record<CostComponent, number>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const KIND_ORDER: InvoiceLineKind[] = ["plan_fee", "overage", "usage", "adjustment", "credit"];

/** Lines grouped by app (in the order apps first appear), then by kind; payments in ledger order. */
export function composeInvoice(entries: InvoicedEntry[]): { lines: InvoiceLine[]; payments: InvoicePayment[] } {
  const lines: InvoiceLine[] = [];
  const summed = new Map<string, InvoiceLine>();
  const payments: InvoicePayment[] = [];
  const add = (entry: InvoicedEntry, kind: InvoiceLineKind, description: string, amountMinor: number, sum: boolean) => {
    const key = `${entry.appId}\n${kind}\n${description}`;
    const existing = sum ? summed.get(key) : undefined;
    if (existing) {
      existing.amountMinor += amountMinor;
      return;
    }
    const line = { appId: entry.appId, appName: entry.appName, kind, description, amountMinor };
    lines.push(line);
    if (sum) summed.set(key, line);
  };
  for (const entry of entries) {
    if (PAYMENT_KINDS.has(entry.kind)) {
      payments.push({ appId: entry.appId, appName: entry.appName, description: entry.description, amountMinor: entry.amountMinor, at: entry.createdAt.toISOString() });
    } else if (entry.kind === "plan_fee") add(entry, "plan_fee", entry.description, -entry.amountMinor, false);
    else if (entry.kind === "overage_debit") {
      const breakdown = isBreakdown(entry.breakdown) ? entry.breakdown : null;
      let itemised = 0;
      for (const component of breakdown ? COST_COMPONENTS : []) {
        const amount = breakdown?.[component] ?? 0;
        itemised += amount;
        if (amount > 0) add(entry, componentLine[component].kind, componentLine[component].label, amount, true);
      }
      // Entries from before breakdowns were recorded (or any rest) stay one line, so the sum still holds.
      const rest = -entry.amountMinor - itemised;
      if (rest !== 0) add(entry, "usage", "Usage charges", rest, true);
    } else if (entry.kind === "adjustment") add(entry, "adjustment", entry.description, -entry.amountMinor, false);
    else add(entry, "credit", entry.description, -entry.amountMinor, false);
  }
  const appOrder = [...new Set(lines.map((line) => line.appId))];
  lines.sort((a, b) => appOrder.indexOf(a.appId) - appOrder.indexOf(b.appId) || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
  return { lines, payments };
}

export function invoiceTotals(lines: InvoiceLine[]): { chargesMinor: number; creditsMinor: number; totalMinor: number } {
  const chargesMinor = lines.filter((line) => line.amountMinor > 0).reduce((sum, line) => sum + line.amountMinor, 0);
  const creditsMinor = -lines.filter((line) => line.amountMinor < 0).reduce((sum, line) => sum + line.amountMinor, 0);
  return { chargesMinor, creditsMinor, totalMinor: chargesMinor - creditsMinor };
}
