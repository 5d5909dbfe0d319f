// The projected end-of-period usage charge (overage + pay-as-you-go; the plan fee is separate). It
// extrapolates the usage *rate of the last 24 hours* (or the app's whole life when younger, at least one
// hour) over the rest of the period, adds it to the period's totals so far, and prices the result at the
// period's prices, free allowance and quota applied to the projected totals. A 24-hour window moves
// slowly, so a burst of a few minutes shifts the projection by that burst's share of a day, never by the
// burst extrapolated to a month. Overage connections are not extrapolated (they are counted when admitted).
import { Limits } from "@tollgate/relay/protocol";
import type { Db } from "@/lib/db";
import { periodCost, type PeriodTotals, type PriceSheet } from "./pricing";

export const PROJECTION_WINDOW_MS = 24 * 3_600_000;
export const PROJECTION_MIN_WINDOW_MS = 3_600_000;

export interface WindowUsage {
  messages: number;
  delivered: number;
  egressBytes: number;
  connectionMinutes: number;
}

export interface UsageProjection {
  /** Charged so far this period. */
  soFarMinor: number;
  /** Charged by the period end at the window's rate (never below soFarMinor). */
  projectedMinor: number;
  /** "rate": extrapolated; "too_early": under an hour of history, so nothing is extrapolated yet. */
  basis: "rate" | "too_early";
  window: { from: string; to: string; hours: number };
  /** Per hour, over the window. */
  ratePerHour: WindowUsage;
  remainingHours: number;
  /** Human sentence: what is projected, from which rate, over which window. */
  explanation: string;
}

function grow(value: bigint, by: number): bigint {
  return value + BigInt(Math.max(0, Math.round(by)));
}

export function projectUsageCharges(input: {
  sheet: PriceSheet;
  totals: PeriodTotals & { messagesUsed: bigint; egressBytes: bigint };
  window: WindowUsage;
  windowStart: Date;
  period: { start: Date; end: Date };
  now: Date;
  /** Effective message quota (null: no cap) and whether usage past it is billed. */
  maxMessagesPerPeriod: number | null;
  overagesEnabled: boolean;
}): UsageProjection {
  const soFarMinor = periodCost(input.sheet, input.totals).totalMinor;
  const windowMs = Math.max(0, input.now.getTime() - input.windowStart.getTime());
  const remainingMs = Math.max(0, input.period.end.getTime() - input.now.getTime());
  const hours = windowMs / 3_600_000;
  const perHour = (value: number) => (hours > 0 ? value / hours : 0);
  const ratePerHour: WindowUsage = {
    messages: perHour(input.window.messages),
    delivered: perHour(input.window.delivered),
    egressBytes: perHour(input.window.egressBytes),
    connectionMinutes: perHour(input.window.connectionMinutes),
  };
  const remainingHours = remainingMs / 3_600_000;
  const windowView = { from: input.windowStart.toISOString(), to: input.now.toISOString(), hours: Math.round(hours * 10) / 10 };
  if (windowMs < PROJECTION_MIN_WINDOW_MS) {
    return {
      soFarMinor,
      projectedMinor: soFarMinor,
      basis: "too_early",
      window: windowView,
      ratePerHour,
      remainingHours,
      explanation: "Less than an hour of usage so far: the projection starts once there is an hour to measure a rate from. Until then it shows the charges so far.",
    };
  }
  const future = (rate: number) => rate * remainingHours;
  const blocksPerByte = input.totals.egressBytes > BigInt(0) ? Number(input.totals.egressBlocks) / Number(input.totals.egressBytes) : 1 / Limits.egressBlockBytes;
  let futureOverageMessages = 0;
  if (input.sheet.kind === "tiered" && input.overagesEnabled && input.maxMessagesPerPeriod !== null) {
    const headroom = Math.max(0, input.maxMessagesPerPeriod - Number(input.totals.messagesUsed));
    futureOverageMessages = Math.max(0, future(ratePerHour.messages) - headroom);
  }
  const projectedTotals: PeriodTotals = {
    overageMessages: grow(input.totals.overageMessages, futureOverageMessages),
    overageConnections: input.totals.overageConnections,
    connectionMinutes: grow(input.totals.connectionMinutes, future(ratePerHour.connectionMinutes)),
    deliveredMessages: grow(input.totals.deliveredMessages, future(ratePerHour.delivered)),
    egressBlocks: grow(input.totals.egressBlocks, future(ratePerHour.egressBytes) * blocksPerByte),
  };
  const projectedMinor = Math.max(soFarMinor, periodCost(input.sheet, projectedTotals).totalMinor);
  const fmt = (value: number) => Math.round(value).toLocaleString("en-US");
  const measured =
    input.sheet.kind === "pay_as_you_go"
      ? `${fmt(ratePerHour.delivered)} delivered messages, ${fmt(ratePerHour.connectionMinutes)} connection-minutes and ${fmt(ratePerHour.egressBytes / 1_000_000)} MB egress per hour`
      : `${fmt(ratePerHour.messages)} messages per hour`;
  return {
    soFarMinor,
    projectedMinor,
    basis: "rate",
    window: windowView,
    ratePerHour,
    remainingHours,
    explanation: `Usage charges so far plus the rate of the last ${windowView.hours} h (${measured}) continued for the ${fmt(remainingHours)} h left in the period, priced at this period's prices after the plan's quota or free allowance. The plan fee is not included.`,
  };
}

/** Loads the window's usage from the per-minute samples and projects. */
export async function loadUsageProjection(
  db: Db,
  input: {
    appId: string;
    appCreatedAt: Date;
    sheet: PriceSheet;
    totals: PeriodTotals & { messagesUsed: bigint; egressBytes: bigint };
    period: { start: Date; end: Date };
    now: Date;
    maxMessagesPerPeriod: number | null;
    overagesEnabled: boolean;
  },
): Promise<UsageProjection> {
  const windowStart = new Date(Math.max(input.now.getTime() - PROJECTION_WINDOW_MS, input.appCreatedAt.getTime()));
  const sums = await db.usageSample.aggregate({
    where: { appId: input.appId, minute: { gte: windowStart, lte: input.now } },
    _sum: { messages: true, delivered: true, egressBytes: true, connectionMinutes: true },
  });
  return projectUsageCharges({
    ...input,
    windowStart,
    window: {
      messages: sums._sum.messages ?? 0,
      delivered: sums._sum.delivered ?? 0,
      egressBytes: Number(sums._sum.egressBytes ?? 0),
      connectionMinutes: sums._sum.connectionMinutes ?? 0,
    },
  });
}
