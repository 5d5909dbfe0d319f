// Tenancy: a user reaches an app only through a membership of its tenant. Anything else is
// indistinguishable from an app that does not exist (not_found), so ids cannot be probed.
import type { Db } from "@/lib/db";
import { notFound } from "@/lib/errors";

export async function requireAppAccess(db: Db, input: { userId: string; appId: string }): Promise<{ appId: string; tenantId: string }> {
  const app = await db.app.findFirst({
    where: { id: input.appId, tenant: { memberships: { some: { userId: input.userId } } } },
    select: { id: true, tenantId: true },
  });
  if (!app) throw notFound("App");
  return { appId: app.id, tenantId: app.tenantId };
}

/** The tenant a new app goes to: the one asked for (if the user belongs to it) or the user's first. */
export async function requireTenantMembership(db: Db, input: { userId: string; tenantId?: string }): Promise<string> {
  const membership = await db.membership.findFirst({
    where: { userId: input.userId, ...(input.tenantId ? { tenantId: input.tenantId } : {}) },
    orderBy: { createdAt: "asc" },
    select: { tenantId: true },
  });
  if (!membership) throw notFound("Tenant");
  return membership.tenantId;
}
