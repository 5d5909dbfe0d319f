import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { newAppId } from "@/lib/keys/key-material";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import { recordRelayChange } from "@/lib/relay/relay-feed";
import { DEFAULT_PLAN_SLUG } from "@/lib/plans/plan-catalog";
import { ensureSubscription } from "@/lib/billing/renew-subscription";
import { assertRoomForAnotherApp } from "./app-limit";

export interface CreateAppInput {
  tenantId: string;
  name: string;
  planSlug?: string;
  actorId?: string | null;
  actor?: Actor;
  /** Platform admins (and the seed) may put an app on a plan that is not public. */
  allowHiddenPlans?: boolean;
  /**
   * Customers: a new app has no balance or card, so it cannot pay a plan fee; a paid plan is refused with
   * 402 (create on Free, fund it, then change plan). Admins and the seed may create on a paid plan: the
   * first period's fee is then waived, and renewals charge from the next period.
   */
  refusePaidPlans?: boolean;
}

/**
 * Creates an app on a plan (Free by default) with its billing account, within the tenant's app limit
 * (app-limit.ts). The billing anchor is now, truncated to whole seconds because relays name periods by
 * their start in Unix seconds.
 */
export async function createApp(db: Db, input: CreateAppInput) {
  const planSlug = input.planSlug ?? DEFAULT_PLAN_SLUG;
  const plan = await db.plan.findUnique({ where: { slug: planSlug }, select: { id: true, name: true, isPublic: true, monthlyPriceMinor: true } });
  if (!plan || (!plan.isPublic && input.allowHiddenPlans === false)) throw new DomainError("unprocessable", `Unknown plan "${planSlug}"`, { field: "planSlug" });
  if (input.refusePaidPlans && plan.monthlyPriceMinor > 0) {
    throw new DomainError(
      "payment_failed",
      `A new app has no balance or card to pay the ${plan.name} plan's fee yet: create it on Free, add funds under Plan & billing, then switch to ${plan.name}.`,
      { field: "planSlug" },
    );
  }
  const actor = input.actor ?? { id: input.actorId ?? null };
  const billingAnchor = new Date(Math.floor(Date.now() / 1000) * 1000);
  const created = await db.$transaction(async (tx) => {
    await assertRoomForAnotherApp(tx, input.tenantId);
    const app = await tx.app.create({
      data: { id: newAppId(), tenantId: input.tenantId, name: input.name.trim(), planId: plan.id, billingAnchor, billingAccount: { create: {} } },
      select: { id: true, name: true, tenantId: true, planId: true, status: true, createdAt: true },
    });
    await ensureSubscription(tx, app.id, billingAnchor);
    await recordRelayChange(tx, { appId: app.id });
    await writeAuditLog(tx, {
      actor,
      action: "app.create",
      targetType: "app",
      targetId: app.id,
      after: { name: app.name, planSlug, tenantId: app.tenantId, ...(plan.monthlyPriceMinor > 0 ? { firstPeriodFeeWaived: true } : {}) },
    });
    return app;
  });
  notifyRelaysOfChange({ appId: created.id, kind: "app" });
  return created;
}
