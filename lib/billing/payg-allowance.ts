// The pay-as-you-go free allowance, per metered unit (the same units pricing charges beyond it). It is
// the team's (issue 27): one allowance per calendar month (UTC) shared by all its pay-as-you-go apps, so
// creating apps does not multiply it. A flush takes what it needs of what is left (TeamAllowanceUse, under
// the team account's lock) and records what its app's period took (UsagePeriod.free*); the period is
// priced beyond what it took, so its charges stay cumulative and exact. The billing page and the usage
// response (overview, GET /v1/usage) show the team's allowance used against free.
import { Limits } from "@tollgate/relay/protocol";
import type { Db, Prisma } from "@/lib/db";
import { calendarMonthAt } from "@/lib/periods/billing-period";
import type { PriceSheet } from "./pricing";

type Client = Db | Prisma.TransactionClient;
type AllowanceSheet = Pick<PriceSheet, "kind" | "freeConnectionMinutes" | "freeDeliveredMessages" | "freeEgressBytes">;

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

/** Units of the allowance: egress in billable bytes (whole blocks), like the plan's freeEgressBytes. */
export interface AllowanceUnits {
  connectionMinutes: bigint;
  deliveredMessages: bigint;
  egressBytes: bigint;
}

const ZERO = BigInt(0);
export const NO_UNITS: AllowanceUnits = { connectionMinutes: ZERO, deliveredMessages: ZERO, egressBytes: ZERO };

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const atLeastZero = (value: bigint) => (value > ZERO ? value : ZERO);

/** Usage totals as allowance units. */
export function allowanceUnitsOf(totals: { connectionMinutes: bigint; deliveredMessages: bigint; egressBlocks: bigint }): AllowanceUnits {
  return { connectionMinutes: totals.connectionMinutes, deliveredMessages: totals.deliveredMessages, egressBytes: totals.egressBlocks * BigInt(Limits.egressBlockBytes) };
}

/** What the period's usage took of the team's allowance (the UsagePeriod row's free* columns). */
export function takenByPeriod(row: { freeConnectionMinutes: bigint; freeDeliveredMessages: bigint; freeEgressBytes: bigint } | null): AllowanceUnits {
  return row ? { connectionMinutes: row.freeConnectionMinutes, deliveredMessages: row.freeDeliveredMessages, egressBytes: row.freeEgressBytes } : NO_UNITS;
}

export function addUnits(a: AllowanceUnits, b: AllowanceUnits): AllowanceUnits {
  return { connectionMinutes: a.connectionMinutes + b.connectionMinutes, deliveredMessages: a.deliveredMessages + b.deliveredMessages, egressBytes: a.egressBytes + b.egressBytes };
}

/** The sheet an app's period is priced with: free is what its usage took of the team's allowance (or may still take). */
export function withFreeAllowance<T extends PriceSheet>(sheet: T, free: AllowanceUnits): T {
  return { ...sheet, freeConnectionMinutes: Number(free.connectionMinutes), freeDeliveredMessages: Number(free.deliveredMessages), freeEgressBytes: free.egressBytes };
}

/** What is left of the team's allowance this month. */
export function remainingAllowance(sheet: AllowanceSheet, teamUse: AllowanceUnits): AllowanceUnits {
  if (sheet.kind !== "pay_as_you_go") return NO_UNITS;
  return {
    connectionMinutes: atLeastZero(BigInt(sheet.freeConnectionMinutes) - teamUse.connectionMinutes),
    deliveredMessages: atLeastZero(BigInt(sheet.freeDeliveredMessages) - teamUse.deliveredMessages),
    egressBytes: atLeastZero(sheet.freeEgressBytes - teamUse.egressBytes),
  };
}

/** A part of the allowance the team has had and used all of: from now on its pay-as-you-go apps pay for that usage. */
export function teamAllowanceUsedUp(sheet: AllowanceSheet, teamUse: AllowanceUnits): boolean {
  if (sheet.kind !== "pay_as_you_go") return false;
  const left = remainingAllowance(sheet, teamUse);
  return (
    (sheet.freeConnectionMinutes > 0 && left.connectionMinutes === ZERO) ||
    (sheet.freeDeliveredMessages > 0 && left.deliveredMessages === ZERO) ||
    (sheet.freeEgressBytes > ZERO && left.egressBytes === ZERO)
  );
}

/** The team's use of its allowance in the month of `now` (nothing yet: zeros). */
export async function loadTeamAllowanceUse(db: Client, input: { billingAccountId: string; now: Date }): Promise<AllowanceUnits> {
  const row = await db.teamAllowanceUse.findUnique({
    where: { billingAccountId_monthStart: { billingAccountId: input.billingAccountId, monthStart: calendarMonthAt(input.now).start } },
  });
  return row ? { connectionMinutes: row.connectionMinutes, deliveredMessages: row.deliveredMessages, egressBytes: row.egressBytes } : NO_UNITS;
}

/**
 * Takes, for new usage of `wanted` units, what is left of the team's allowance this month. Called with the
 * team account row locked (the caller's transaction), so two apps never take the same free units.
 */
export async function takeTeamAllowance(
  tx: Prisma.TransactionClient,
  input: { billingAccountId: string; sheet: AllowanceSheet; now: Date; wanted: AllowanceUnits },
): Promise<{ taken: AllowanceUnits; usedUpNow: boolean }> {
  if (input.sheet.kind !== "pay_as_you_go") return { taken: NO_UNITS, usedUpNow: false };
  const before = await loadTeamAllowanceUse(tx, input);
  const left = remainingAllowance(input.sheet, before);
  const taken: AllowanceUnits = {
    connectionMinutes: min(left.connectionMinutes, atLeastZero(input.wanted.connectionMinutes)),
    deliveredMessages: min(left.deliveredMessages, atLeastZero(input.wanted.deliveredMessages)),
    egressBytes: min(left.egressBytes, atLeastZero(input.wanted.egressBytes)),
  };
  const after = addUnits(before, taken);
  if (taken.connectionMinutes + taken.deliveredMessages + taken.egressBytes > ZERO) {
    const monthStart = calendarMonthAt(input.now).start;
    await tx.teamAllowanceUse.upsert({
      where: { billingAccountId_monthStart: { billingAccountId: input.billingAccountId, monthStart } },
      create: { billingAccountId: input.billingAccountId, monthStart, ...after },
      update: after,
    });
  }
  return { taken, usedUpNow: !teamAllowanceUsedUp(input.sheet, before) && teamAllowanceUsedUp(input.sheet, after) };
}

/**
 * For reads (usage, projections, pending charges): the team's use this month, and the sheet the app's
 * period is priced with, free being what it took plus what the team has left (which its next usage may take).
 */
export async function loadAppAllowance<T extends PriceSheet>(
  db: Client,
  input: { billingAccountId: string | null; sheet: T; row: Parameters<typeof takenByPeriod>[0]; now: Date },
): Promise<{ teamUse: AllowanceUnits; pricedSheet: T }> {
  // Other plan kinds have no allowance: no query.
  const teamUse = input.sheet.kind === "pay_as_you_go" && input.billingAccountId ? await loadTeamAllowanceUse(db, { billingAccountId: input.billingAccountId, now: input.now }) : NO_UNITS;
  return { teamUse, pricedSheet: withFreeAllowance(input.sheet, addUnits(takenByPeriod(input.row), remainingAllowance(input.sheet, teamUse))) };
}

/** The team's allowance this month, used against free. Null on every other plan kind: they have no allowance, only limits (and overages). */
export function paygAllowance(sheet: AllowanceSheet, teamUse: AllowanceUnits): PaygAllowance | null {
  if (sheet.kind !== "pay_as_you_go") return null;
  return {
    connectionMinutes: { used: Number(teamUse.connectionMinutes), free: sheet.freeConnectionMinutes },
    deliveredMessages: { used: Number(teamUse.deliveredMessages), free: sheet.freeDeliveredMessages },
    egressBytes: { used: Number(teamUse.egressBytes), free: Number(sheet.freeEgressBytes) },
  };
}
