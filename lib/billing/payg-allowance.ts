// A pay-as-you-go period's free allowance, used against free per metered unit (the same units pricing
// charges beyond it). The billing page and the usage response (overview, GET /v1/usage) both show it.
import { Limits } from "@tollgate/relay/protocol";
import type { PriceSheet } from "./pricing";

export interface AllowanceUse {
  used: number;
  free: number;
}

export interface PaygAllowance {
  connectionMinutes: AllowanceUse;
  deliveredMessages: AllowanceUse;
  /** Billable egress: payloads rounded up to whole 4 KB blocks, as priced. */
  egressBytes: AllowanceUse;
}

/** Null on every other plan kind: they have no allowance, only limits (and overages). */
export function paygAllowance(
  sheet: Pick<PriceSheet, "kind" | "freeConnectionMinutes" | "freeDeliveredMessages" | "freeEgressBytes">,
  row: { connectionMinutes: bigint; deliveredMessages: bigint; egressBlocks: bigint } | null,
): PaygAllowance | null {
  if (sheet.kind !== "pay_as_you_go") return null;
  return {
    connectionMinutes: { used: Number(row?.connectionMinutes ?? 0), free: sheet.freeConnectionMinutes },
    deliveredMessages: { used: Number(row?.deliveredMessages ?? 0), free: sheet.freeDeliveredMessages },
    egressBytes: { used: Number(row?.egressBlocks ?? 0) * Limits.egressBlockBytes, free: Number(sheet.freeEgressBytes) },
  };
}
