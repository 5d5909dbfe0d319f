import type { Db } from "@/lib/db";
import { notFound } from "@/lib/errors";
import { permissionsOf, type Permission, type TenantRole } from "@/lib/tenancy/permissions";
import type { AppView } from "./app.types";
import { appViewSelect, toAppView } from "./to-app-view";

/** One app; a deleted app is not found unless an admin view asks for it. */
export async function getApp(db: Db, input: { appId: string; relayUrl: string; includeDeleted?: boolean }): Promise<AppView> {
  const app = await db.app.findFirst({ where: { id: input.appId, ...(input.includeDeleted ? {} : { deletedAt: null }) }, select: appViewSelect });
  if (!app) throw notFound("App");
  return toAppView(app, { relayUrl: input.relayUrl });
}

export interface TenantOfUser {
  id: string;
  name: string;
  role: TenantRole;
  permissions: Permission[];
}

/**
 * Apps of every tenant the user belongs to (or of one of them), plus those tenants with the user's role
 * and the tenant the dashboard shows (the one last switched to, else the first).
 */
export async function listAppsOfUser(db: Db, input: { userId: string; relayUrl: string; tenantId?: string; viewingTenantId?: string | null }) {
  if (input.viewingTenantId) return listAppsOfViewedTenant(db, { ...input, viewingTenantId: input.viewingTenantId });
  const [apps, memberships, user] = await Promise.all([
    db.app.findMany({
      where: { deletedAt: null, ...(input.tenantId ? { tenantId: input.tenantId } : {}), tenant: { memberships: { some: { userId: input.userId } } } },
      select: appViewSelect,
      orderBy: { createdAt: "asc" },
    }),
    db.membership.findMany({
      where: { userId: input.userId },
      select: { role: true, tenant: { select: { id: true, name: true } } },
      orderBy: { createdAt: "asc" },
    }),
    db.user.findUnique({ where: { id: input.userId }, select: { activeTenantId: true } }),
  ]);
  const tenants: TenantOfUser[] = memberships.map((m) => ({ id: m.tenant.id, name: m.tenant.name, role: m.role, permissions: permissionsOf(m.role) }));
  const activeTenantId = tenants.find((tenant) => tenant.id === user?.activeTenantId)?.id ?? tenants[0]?.id ?? null;
  return { apps: apps.map((app) => toAppView(app, { relayUrl: input.relayUrl })), tenants, activeTenantId };
}

/** What the viewed tenant's owners see: its apps only, the tenant as the one team (lib/tenancy/view-as.ts). */
async function listAppsOfViewedTenant(db: Db, input: { relayUrl: string; viewingTenantId: string }) {
  const [apps, tenant] = await Promise.all([
    db.app.findMany({ where: { deletedAt: null, tenantId: input.viewingTenantId }, select: appViewSelect, orderBy: { createdAt: "asc" } }),
    db.tenant.findUnique({ where: { id: input.viewingTenantId }, select: { id: true, name: true } }),
  ]);
  const tenants: TenantOfUser[] = tenant ? [{ id: tenant.id, name: tenant.name, role: "owner", permissions: permissionsOf("owner") }] : [];
  return { apps: apps.map((app) => toAppView(app, { relayUrl: input.relayUrl })), tenants, activeTenantId: tenant?.id ?? null };
}
