// "View as customer": a platform admin sees a tenant's dashboard as its owners do, read-only. The state
// is kept on the admin's user row (so a hand-made cookie cannot start it unaudited), starting and stopping
// are audited, the session carries it (re-read on every request, lib/auth/session-version.ts), every
// page announces it with a banner, and every write but "stop viewing" is refused while it lasts
// (lib/http/with-session.ts).
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db } from "@/lib/db";
import { DomainError, notFound } from "@/lib/errors";

export interface ViewingAs {
  tenantId: string;
  tenantName: string;
}

export const READ_ONLY_VIEW_MESSAGE = "You are viewing as a customer, read-only: stop viewing to make changes";

export function refuseWhileViewing(): never {
  throw new DomainError("read_only_view", READ_ONLY_VIEW_MESSAGE);
}

export async function startViewingAs(db: Db, input: { actor: Actor & { id: string }; tenantId: string }): Promise<ViewingAs> {
  return db.$transaction(async (tx) => {
    const tenant = await tx.tenant.findUnique({ where: { id: input.tenantId }, select: { id: true, name: true } });
    if (!tenant) throw notFound("Tenant");
    await tx.user.update({ where: { id: input.actor.id }, data: { viewingTenantId: tenant.id } });
    await writeAuditLog(tx, { actor: input.actor, action: "admin.view_as_started", targetType: "tenant", targetId: tenant.id, after: { tenantName: tenant.name } });
    return { tenantId: tenant.id, tenantName: tenant.name };
  });
}

export async function stopViewingAs(db: Db, input: { actor: Actor & { id: string } }): Promise<{ stopped: string | null }> {
  return db.$transaction(async (tx) => {
    const user = await tx.user.findUniqueOrThrow({ where: { id: input.actor.id }, select: { viewingTenantId: true } });
    if (!user.viewingTenantId) return { stopped: null };
    await tx.user.update({ where: { id: input.actor.id }, data: { viewingTenantId: null } });
    await writeAuditLog(tx, { actor: input.actor, action: "admin.view_as_stopped", targetType: "tenant", targetId: user.viewingTenantId });
    return { stopped: user.viewingTenantId };
  });
}

/** What the banner names; null when the user is not viewing (or the tenant is gone). */
export async function viewingAsOf(db: Db, user: { isPlatformAdmin: boolean; viewingTenantId?: string | null }): Promise<ViewingAs | null> {
  if (!user.isPlatformAdmin || !user.viewingTenantId) return null;
  const tenant = await db.tenant.findUnique({ where: { id: user.viewingTenantId }, select: { id: true, name: true } });
  return tenant ? { tenantId: tenant.id, tenantName: tenant.name } : null;
}
