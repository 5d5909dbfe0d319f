import type { Db } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { newAppId } from "@/lib/keys/key-material";
import { DEFAULT_PLAN_SLUG } from "@/lib/plans/plan-catalog";

export interface CreateAppInput {
  tenantId: string;
  name: string;
  planSlug?: string;
  actorId?: string | null;
}

/** Creates an app on a plan (Free by default) with its billing account; the billing period starts now. */
export async function createApp(db: Db, input: CreateAppInput) {
  const plan = await db.plan.findUnique({ where: { slug: input.planSlug ?? DEFAULT_PLAN_SLUG }, select: { id: true } });
  if (!plan) throw new DomainError("invalid_request", `Unknown plan "${input.planSlug}"`, { field: "planSlug" });
  return db.$transaction(async (tx) => {
    const app = await tx.app.create({
      data: { id: newAppId(), tenantId: input.tenantId, name: input.name.trim(), planId: plan.id, billingAccount: { create: {} } },
      select: { id: true, name: true, tenantId: true, planId: true, status: true, createdAt: true },
    });
    await tx.auditLog.create({
      data: { actorId: input.actorId ?? null, action: "app.create", targetType: "app", targetId: app.id, after: { name: app.name, planId: app.planId } },
    });
    return app;
  });
}
