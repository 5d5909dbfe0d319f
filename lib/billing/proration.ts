// Plan fees for part of a period. Integer arithmetic in BigInt (price × milliseconds overflows a
// double's exact range), rounded half up to whole minor units.
import type { BillingPeriod } from "@/lib/periods/billing-period";

/** The share of `priceMinor` for the rest of the period from `at` (the whole price at its start, 0 at its end). */
export function proratedMinor(priceMinor: number, period: BillingPeriod, at: Date): number {
  const lengthMs = BigInt(period.end.getTime() - period.start.getTime());
  const remainingMs = BigInt(Math.min(Math.max(period.end.getTime() - at.getTime(), 0), period.end.getTime() - period.start.getTime()));
  if (lengthMs <= BigInt(0)) return 0;
  return Number((BigInt(priceMinor) * remainingMs * BigInt(2) + lengthMs) / (lengthMs * BigInt(2)));
}

export interface UpgradeCharge {
  /** The new plan's fee for the rest of the period. */
  feeMinor: number;
  /** The unused rest of the current plan's fee, when it was paid for this period. */
  creditMinor: number;
  /** What is charged now: fee − credit, never negative. */
  chargeMinor: number;
}

export function upgradeCharge(input: { currentPriceMinor: number; currentFeePaid: boolean; targetPriceMinor: number; period: BillingPeriod; at: Date }): UpgradeCharge {
  const feeMinor = proratedMinor(input.targetPriceMinor, input.period, input.at);
  const creditMinor = input.currentFeePaid ? Math.min(proratedMinor(input.currentPriceMinor, input.period, input.at), feeMinor) : 0;
  return { feeMinor, creditMinor, chargeMinor: feeMinor - creditMinor };
}

/** Days left in the period from `at`, rounded up, for descriptions ("for 12 of 30 days"). */
export function describeProration(period: BillingPeriod, at: Date): string {
  const day = 86_400_000;
  const total = Math.round((period.end.getTime() - period.start.getTime()) / day);
  const left = Math.min(total, Math.ceil((period.end.getTime() - at.getTime()) / day));
  return `${left} of ${total} days`;
}
