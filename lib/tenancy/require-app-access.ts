// Tenancy: a user reaches an app only through a membership of its tenant. Anything else is
// indistinguishable from an app that does not exist (not_found), so ids cannot be probed. Once the app
// is reachable, the membership's role decides what the user may do with it (permissions.ts): a
// forbidden action is 403, because the user can already see the app.
import type { Db } from "@/lib/db";
import { notFound } from "@/lib/errors";
import { type Permission, requirePermission, type TenantRole } from "./permissions";

export interface AppAccess {
  appId: string;
  tenantId: string;
  role: TenantRole;
}

/**
 * A platform admin viewing as a tenant (view-as.ts) reaches that tenant's apps as an owner would see them;
 * withSession refuses their writes, so the role only decides what they can read.
 */
const VIEWER_ROLE: TenantRole = "owner";

export async function requireAppAccess(
  db: Db,
  input: { userId: string; appId: string; permissions?: Permission[]; viewingTenantId?: string | null },
): Promise<AppAccess> {
  if (input.viewingTenantId) {
    const viewed = await db.app.findFirst({ where: { id: input.appId, deletedAt: null, tenantId: input.viewingTenantId }, select: { id: true, tenantId: true } });
    if (!viewed) throw notFound("App");
    return { appId: viewed.id, tenantId: viewed.tenantId, role: VIEWER_ROLE };
  }
  const app = await db.app.findFirst({
    where: { id: input.appId, deletedAt: null, tenant: { memberships: { some: { userId: input.userId } } } },
    select: { id: true, tenantId: true, tenant: { select: { memberships: { where: { userId: input.userId }, select: { role: true } } } } },
  });
  const role = app?.tenant.memberships[0]?.role;
  if (!app || !role) throw notFound("App");
  requirePermission(role, ...(input.permissions ?? ["app.read"]));
  return { appId: app.id, tenantId: app.tenantId, role };
}

export interface TenantAccess {
  tenantId: string;
  role: TenantRole;
}

/** A tenant the user belongs to, with their role; another tenant reads as not found. */
export async function requireTenantAccess(
  db: Db,
  input: { userId: string; tenantId: string; permissions?: Permission[]; viewingTenantId?: string | null },
): Promise<TenantAccess> {
  if (input.viewingTenantId) {
    if (input.viewingTenantId !== input.tenantId) throw notFound("Team");
    return { tenantId: input.tenantId, role: VIEWER_ROLE };
  }
  const membership = await db.membership.findUnique({
    where: { userId_tenantId: { userId: input.userId, tenantId: input.tenantId } },
    select: { role: true },
  });
  if (!membership) throw notFound("Team");
  requirePermission(membership.role, ...(input.permissions ?? []));
  return { tenantId: input.tenantId, role: membership.role };
}

/**
 * The tenant a new app goes to: the one asked for (if the user belongs to it), else the user's active
 * tenant, else their first. Creating an app needs the app.create permission there.
 */
export async function requireTenantMembership(db: Db, input: { userId: string; tenantId?: string; permissions?: Permission[] }): Promise<string> {
  let tenantId = input.tenantId;
  if (!tenantId) {
    const user = await db.user.findUnique({ where: { id: input.userId }, select: { activeTenantId: true } });
    const active = user?.activeTenantId
      ? await db.membership.findUnique({ where: { userId_tenantId: { userId: input.userId, tenantId: user.activeTenantId } }, select: { tenantId: true } })
      : null;
    const first = active ?? (await db.membership.findFirst({ where: { userId: input.userId }, orderBy: { createdAt: "asc" }, select: { tenantId: true } }));
    if (!first) throw notFound("Team");
    tenantId = first.tenantId;
  }
  const access = await requireTenantAccess(db, { userId: input.userId, tenantId, permissions: input.permissions });
  return access.tenantId;
}
