// The admin's view of one tenant (members, every app including deleted ones, the team's balance, its app
// limit), suspending or resuming all of its apps at once, and setting its app limit.
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import { DEFAULT_MAX_APPS_PER_TENANT, effectiveAppLimit } from "@/lib/apps/app-limit";
import { setAppStatus } from "@/lib/apps/update-app";
import { searchApps } from "@/lib/apps/search-apps";
import type { Db } from "@/lib/db";
import { notFound } from "@/lib/errors";
import type { TenantAppLimitView } from "./tenant.types";

function toAppLimitView(maxApps: number | null): TenantAppLimitView {
  return { maxApps, appLimit: effectiveAppLimit(maxApps), defaultAppLimit: DEFAULT_MAX_APPS_PER_TENANT };
}

export async function getTenantForAdmin(db: Db, input: { tenantId: string; relayUrl: string }) {
  const tenant = await db.tenant.findUnique({
    where: { id: input.tenantId },
    select: {
      id: true,
      name: true,
      createdAt: true,
      maxApps: true,
      billingAccount: { select: { balanceMinor: true } },
      memberships: { select: { role: true, createdAt: true, user: { select: { id: true, email: true, name: true, isPlatformAdmin: true } } }, orderBy: { createdAt: "asc" } },
      invitations: { where: { acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } }, select: { id: true, email: true, role: true, expiresAt: true } },
    },
  });
  if (!tenant) throw notFound("Tenant");
  const apps = await searchApps(db, { relayUrl: input.relayUrl, tenantId: tenant.id });
  const liveApps = apps.filter((app) => !app.deletedAt);
  return {
    id: tenant.id,
    name: tenant.name,
    createdAt: tenant.createdAt.toISOString(),
    members: tenant.memberships.map((m) => ({ userId: m.user.id, email: m.user.email, name: m.user.name, role: m.role, isPlatformAdmin: m.user.isPlatformAdmin, joinedAt: m.createdAt.toISOString() })),
    pendingInvitations: tenant.invitations.map((i) => ({ id: i.id, email: i.email, role: i.role, expiresAt: i.expiresAt.toISOString() })),
    apps,
    // One wallet for the team (every app's balanceMinor is this same amount).
    balanceMinor: tenant.billingAccount?.balanceMinor ?? 0,
    suspendedAppCount: liveApps.filter((app) => app.status === "suspended").length,
    ...toAppLimitView(tenant.maxApps),
  };
}

/** Sets the tenant's own app limit (null: the default). Apps beyond a lowered limit stay; only new ones are refused. */
export async function setTenantAppLimit(db: Db, input: { actor: Actor; tenantId: string; maxApps: number | null }): Promise<TenantAppLimitView> {
  return db.$transaction(async (tx) => {
    const tenant = await tx.tenant.findUnique({ where: { id: input.tenantId }, select: { maxApps: true } });
    if (!tenant) throw notFound("Tenant");
    await tx.tenant.update({ where: { id: input.tenantId }, data: { maxApps: input.maxApps } });
    await writeAuditLog(tx, {
      actor: input.actor,
      action: "tenant.set_app_limit",
      targetType: "tenant",
      targetId: input.tenantId,
      before: { maxApps: tenant.maxApps },
      after: { maxApps: input.maxApps },
    });
    return toAppLimitView(input.maxApps);
  });
}

/**
 * Suspends (or resumes) every live app of the tenant; each change is audited and relays close a
 * suspended app's connections with 4012. Returns how many apps changed.
 */
export async function setTenantAppsStatus(db: Db, input: { actor: Actor; tenantId: string; status: "active" | "suspended"; reason?: string }): Promise<{ changed: number }> {
  const tenant = await db.tenant.findUnique({ where: { id: input.tenantId }, select: { apps: { where: { deletedAt: null, status: { not: input.status } }, select: { id: true } } } });
  if (!tenant) throw notFound("Tenant");
  for (const app of tenant.apps) await setAppStatus(db, { actor: input.actor, appId: app.id, status: input.status, reason: input.reason });
  return { changed: tenant.apps.length };
}
