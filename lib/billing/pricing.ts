// Usage pricing. Costs are computed from a period's cumulative totals and a batch is charged the
// difference before → after, so rounding never accumulates: the sum of a period's debits always
// equals the cost of its final totals (rounded down to whole minor units).
import { Limits } from "@tollgate/relay/protocol";

export interface PriceSheet {
  kind: "free" | "tiered" | "unlimited" | "pay_as_you_go";
  overagePricePer1000MessagesMinor: number;
  overagePricePerConnectionMinor: number;
  freeConnectionMinutes: number;
  freeDeliveredMessages: number;
  freeEgressBytes: bigint;
  pricePer1000ConnectionMinutesMinor: number;
  pricePer1000DeliveredMessagesMinor: number;
  pricePerGbEgressMinor: number;
}

export interface PeriodTotals {
  overageMessages: bigint;
  overageConnections: number;
  connectionMinutes: bigint;
  deliveredMessages: bigint;
  /** Delivered payloads in 4 KB blocks: billing rounds each payload up to whole blocks. */
  egressBlocks: bigint;
}

export interface PeriodCost {
  overageMessagesMinor: number;
  overageConnectionsMinor: number;
  connectionMinutesMinor: number;
  deliveredMessagesMinor: number;
  egressMinor: number;
  totalMinor: number;
}

const BYTES_PER_GB = BigInt(1_000_000_000);
const THOUSAND = BigInt(1000);

function overAllowance(used: bigint, free: bigint): bigint {
  return used > free ? used - free : BigInt(0);
}

export function periodCost(sheet: PriceSheet, totals: PeriodTotals): PeriodCost {
  const overageMessagesMinor = Number((totals.overageMessages * BigInt(sheet.overagePricePer1000MessagesMinor)) / THOUSAND);
  const overageConnectionsMinor = totals.overageConnections * sheet.overagePricePerConnectionMinor;
  let connectionMinutesMinor = 0;
  let deliveredMessagesMinor = 0;
  let egressMinor = 0;
  if (sheet.kind === "pay_as_you_go") {
    connectionMinutesMinor = Number(
      (overAllowance(totals.connectionMinutes, BigInt(sheet.freeConnectionMinutes)) * BigInt(sheet.pricePer1000ConnectionMinutesMinor)) / THOUSAND,
    );
    deliveredMessagesMinor = Number(
      (overAllowance(totals.deliveredMessages, BigInt(sheet.freeDeliveredMessages)) * BigInt(sheet.pricePer1000DeliveredMessagesMinor)) / THOUSAND,
    );
    const billableEgressBytes = totals.egressBlocks * BigInt(Limits.egressBlockBytes);
    egressMinor = Number((overAllowance(billableEgressBytes, sheet.freeEgressBytes) * BigInt(sheet.pricePerGbEgressMinor)) / BYTES_PER_GB);
  }
  return {
    overageMessagesMinor,
    overageConnectionsMinor,
    connectionMinutesMinor,
    deliveredMessagesMinor,
    egressMinor,
    totalMinor: overageMessagesMinor + overageConnectionsMinor + connectionMinutesMinor + deliveredMessagesMinor + egressMinor,
  };
}

/**
 * The sheets a batch is priced with: one, or (pay as you go) the period's sheet before and after the
 * batch took its part of the team's free allowance (payg-allowance.ts).
 */
export type BatchSheets = PriceSheet | { before: PriceSheet; after: PriceSheet };

function sheetsOf(sheets: BatchSheets): { before: PriceSheet; after: PriceSheet } {
  return "before" in sheets ? sheets : { before: sheets, after: sheets };
}

/** What a batch adds to the period's bill: cost(after) − cost(before), never negative. */
export function incrementalCostMinor(sheets: BatchSheets, before: PeriodTotals, after: PeriodTotals): number {
  const sheet = sheetsOf(sheets);
  return Math.max(0, periodCost(sheet.after, after).totalMinor - periodCost(sheet.before, before).totalMinor);
}

export const COST_COMPONENTS = ["overageMessagesMinor", "overageConnectionsMinor", "connectionMinutesMinor", "deliveredMessagesMinor", "egressMinor"] as const;
export type CostComponent = (typeof COST_COMPONENTS)[number];

/**
 * A batch's charge split by component (each cost(after) − cost(before) of that component). Every
 * component only grows (a batch takes at most its own new units of free allowance), so the parts sum to
 * incrementalCostMinor exactly.
 */
export function costBreakdownDelta(sheets: BatchSheets, before: PeriodTotals, after: PeriodTotals): Record<CostComponent, number> {
  const sheet = sheetsOf(sheets);
  const a = periodCost(sheet.after, after);
  const b = periodCost(sheet.before, before);
  return Object.fromEntries(COST_COMPONENTS.map((component) => [component, Math.max(0, a[component] - b[component])])) as Record<CostComponent, number>;
}

/**
 * A breakdown cut to what was actually charged (the spend cap can take less than the batch priced), so
 * a usage debit's recorded parts — and the invoice lines built from them — sum to the debit exactly.
 * Each component gets its proportional share rounded down, and the cents rounding leaves over go to the
 * largest remainders (then the earlier component), so no component gets more than it cost. Components
 * that come to nothing are left out.
 */
export function breakdownWithinCharge(breakdown: Record<CostComponent, number>, chargeMinor: number): Partial<Record<CostComponent, number>> {
  const pricedMinor = COST_COMPONENTS.reduce((sum, component) => sum + Math.max(0, breakdown[component]), 0);
  const positive = (parts: [CostComponent, number][]) => Object.fromEntries(parts.filter(([, amount]) => amount > 0)) as Partial<Record<CostComponent, number>>;
  if (chargeMinor >= pricedMinor) return positive(COST_COMPONENTS.map((component) => [component, breakdown[component]]));
  if (chargeMinor <= 0) return {};
  // BigInt: a component times the charge can pass 2^53 on a large enough bill.
  const charge = BigInt(chargeMinor);
  const priced = BigInt(pricedMinor);
  const shares = COST_COMPONENTS.map((component, order) => {
    const scaled = BigInt(Math.max(0, breakdown[component])) * charge;
    return { component, order, minor: Number(scaled / priced), remainder: scaled % priced };
  });
  let leftover = chargeMinor - shares.reduce((sum, share) => sum + share.minor, 0);
  const byRemainder = [...shares].sort((a, b) => (a.remainder === b.remainder ? a.order - b.order : a.remainder > b.remainder ? -1 : 1));
  for (const share of byRemainder) {
    if (leftover === 0) break;
    share.minor += 1;
    leftover -= 1;
  }
  return positive(shares.map((share) => [share.component, share.minor]));
}
