// An app pays the plan prices in force at the start of its billing period. An admin's price edit is
// therefore seen by each app from its next period, unless the admin applied it at once: the edit
// stores the prices it replaced (PlanPriceChange) and lookups walk back to the period's start.
import type { Plan } from "@/lib/generated/prisma/client";
import type { Db, Prisma } from "@/lib/db";

export const PRICE_FIELDS = [
  "monthlyPriceMinor",
  "overagePricePer1000MessagesMinor",
  "overagePricePerConnectionMinor",
  "pricePer1000ConnectionMinutesMinor",
  "pricePer1000DeliveredMessagesMinor",
  "pricePerGbEgressMinor",
] as const;
export type PriceField = (typeof PRICE_FIELDS)[number];
export type PlanPrices = Record<PriceField, number>;

export interface PriceChangeRecord {
  previousPrices: unknown;
  appliedImmediately: boolean;
  changedAt: Date;
}

export function pricesOf(plan: PlanPrices): PlanPrices {
  return Object.fromEntries(PRICE_FIELDS.map((field) => [field, plan[field]])) as PlanPrices;
}

function parsePrices(value: unknown, fallback: PlanPrices): PlanPrices {
  const record = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  return Object.fromEntries(PRICE_FIELDS.map((field) => [field, typeof record[field] === "number" ? record[field] : fallback[field]])) as PlanPrices;
}

/**
 * The prices in force at `periodStart`, given the plan's current prices and its edits (any order).
 * Edits after the period start that were scheduled (not immediate) are undone, back to the last
 * immediate edit: the earliest such scheduled edit's "before" prices are what the period started with.
 */
export function pricesInForce(current: PlanPrices, changes: readonly PriceChangeRecord[], periodStart: Date): PlanPrices {
  const after = changes.filter((change) => change.changedAt.getTime() > periodStart.getTime()).sort((a, b) => a.changedAt.getTime() - b.changedAt.getTime());
  const lastImmediate = after.findLastIndex((change) => change.appliedImmediately);
  const scheduled = after.slice(lastImmediate + 1);
  const earliest = scheduled[0];
  return earliest ? parsePrices(earliest.previousPrices, current) : pricesOf(current);
}

type PriceReader = Pick<Db, "planPriceChange"> | Pick<Prisma.TransactionClient, "planPriceChange">;

/** The plan with its price fields as in force at the period start. */
export async function planAtPeriod<P extends Plan>(db: PriceReader, plan: P, periodStart: Date): Promise<P> {
  const changes = await db.planPriceChange.findMany({ where: { planId: plan.id, changedAt: { gt: periodStart } } });
  return changes.length === 0 ? plan : { ...plan, ...pricesInForce(plan, changes, periodStart) };
}

/** These plans' edits since `since`, for callers pricing several apps at once (relay app states). */
export async function priceChangesByPlan(db: PriceReader, since: Date, planIds: string[]): Promise<Map<string, PriceChangeRecord[]>> {
  const rows = await db.planPriceChange.findMany({ where: { changedAt: { gt: since }, planId: { in: planIds } } });
  const byPlan = new Map<string, PriceChangeRecord[]>();
  for (const row of rows) byPlan.set(row.planId, [...(byPlan.get(row.planId) ?? []), row]);
  return byPlan;
}
