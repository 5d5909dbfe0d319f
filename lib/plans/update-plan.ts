import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db } from "@/lib/db";
import { DomainError, notFound } from "@/lib/errors";
import { announceLimitsChange } from "@/lib/notifications/announce-limits-change";
import { emitAppEvent } from "@/lib/notifications/emit-app-event";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import { recordRelayChange } from "@/lib/relay/relay-feed";
import { PRICE_FIELDS, pricesOf } from "@/lib/billing/plan-prices";
import { effectiveLimits, toPlanView } from "./effective-limits";
import type { PlanView, UpdatePlanBody } from "./plan.types";
import { validatePlan } from "./validate-plan";

export interface PlanUpdateResult {
  plan: PlanView;
  /** Set when prices changed: how many apps are on the plan and from when they pay the new prices. */
  priceChange: { affectedApps: number; appliesFrom: "next_period" | "now" } | null;
}

/**
 * Edits a plan. Limits apply at once; the apps on the plan are told of changed limits and prices. Price edits apply to each app from its next billing period (the
 * replaced prices are kept in PlanPriceChange, see lib/billing/plan-prices.ts) unless `applyPricesNow`.
 * Apps that enabled overages keep the flag only while the plan still allows them: turning overages off
 * on a plan switches them off for its apps in the same transaction.
 */
export async function updatePlan(db: Db, input: { actor: Actor; planId: string; changes: UpdatePlanBody }): Promise<PlanUpdateResult> {
  const { freeEgressBytes, applyPricesNow = false, ...fields } = input.changes;
  const result = await db.$transaction(async (tx) => {
    const before = await tx.plan.findUnique({ where: { id: input.planId } });
    if (!before) throw notFound("Plan");
    const merged = { ...before, ...fields };
    validatePlan(merged);
    if (before.kind !== merged.kind && (before.kind === "pay_as_you_go") !== (merged.kind === "pay_as_you_go")) {
      const appCount = await tx.app.count({ where: { planId: before.id } });
      if (appCount > 0) {
        throw new DomainError("conflict", "Move this plan's apps to another plan before switching it to or from pay-as-you-go", { field: "kind" });
      }
    }
    const plan = await tx.plan.update({
      where: { id: input.planId },
      data: { ...fields, ...(freeEgressBytes === undefined ? {} : { freeEgressBytes: BigInt(freeEgressBytes) }) },
    });
    if (!plan.overagesAllowed) await tx.app.updateMany({ where: { planId: plan.id, overagesEnabled: true }, data: { overagesEnabled: false } });
    const pricesChanged = PRICE_FIELDS.some((field) => before[field] !== plan[field]);
    // Every app on the plan whose effective limits moved (an override may shadow the edit) is told.
    const apps = await tx.app.findMany({ where: { planId: plan.id, deletedAt: null }, select: { id: true, override: true } });
    for (const app of apps) {
      await announceLimitsChange(tx, {
        appId: app.id,
        source: "plan",
        changeId: `${plan.id}-${plan.updatedAt.getTime()}`,
        before: effectiveLimits(before, app.override),
        after: effectiveLimits(plan, app.override),
      });
    }
    const affectedApps = apps.length;
    if (pricesChanged) {
      await tx.planPriceChange.create({ data: { planId: plan.id, previousPrices: pricesOf(before), appliedImmediately: applyPricesNow } });
      // Customers hear of a price change before they are billed at it.
      const changes = PRICE_FIELDS.filter((field) => before[field] !== plan[field]).map((field) => ({ field, before: before[field], after: plan[field] }));
      const event = { type: "plan.prices_changed" as const, planName: plan.name, changeId: `${plan.id}-${plan.updatedAt.getTime()}`, appliesFrom: applyPricesNow ? ("now" as const) : ("next_period" as const), changes };
      for (const app of apps) await emitAppEvent(tx, { appId: app.id, event });
    }
    const view = toPlanView(plan, affectedApps);
    const priceChange = pricesChanged ? { affectedApps, appliesFrom: applyPricesNow ? ("now" as const) : ("next_period" as const) } : null;
    await writeAuditLog(tx, { actor: input.actor, action: "plan.update", targetType: "plan", targetId: plan.id, before: toPlanView(before, affectedApps), after: { ...view, priceChange } });
    await recordRelayChange(tx, { planId: plan.id });
    return { plan: view, priceChange };
  });
  notifyRelaysOfChange({ kind: "plan" });
  return result;
}
