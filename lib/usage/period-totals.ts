import type { UsagePeriod } from "@/lib/generated/prisma/client";
import type { PeriodTotals } from "@/lib/billing/pricing";

export const ZERO_TOTALS: PeriodTotals = {
  overageMessages: BigInt(0),
  overageConnections: 0,
  connectionMinutes: BigInt(0),
  deliveredMessages: BigInt(0),
  egressBlocks: BigInt(0),
};

export function periodTotals(period: UsagePeriod | null): PeriodTotals {
  if (!period) return ZERO_TOTALS;
  return {
    overageMessages: period.overageMessages,
    overageConnections: period.overageConnections,
    connectionMinutes: period.connectionMinutes,
    deliveredMessages: period.deliveredMessages,
    egressBlocks: period.egressBlocks,
  };
}
