// Members of a tenant: list, change a role, remove, leave, transfer ownership. A tenant always keeps at
// least one owner. Every change locks the tenant's row first, so concurrent changes (two owners
// demoting each other, a leave racing a removal) run one after the other and the second one sees the
// first's result before it checks the owner count.
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import { bumpSessionVersion } from "@/lib/auth/session-version";
import type { Db, Prisma } from "@/lib/db";
import { getServerEnv } from "@/lib/env";
import { DomainError, notFound } from "@/lib/errors";
import { permissionsOf, type TenantRole } from "@/lib/tenancy/permissions";
import { toInvitationView } from "./invitations";
import type { MemberView, TeamView } from "./team.types";

export async function getTeam(db: Db, input: { tenantId: string; role: TenantRole; now?: Date }): Promise<TeamView> {
  const now = input.now ?? new Date();
  const tenant = await db.tenant.findUnique({
    where: { id: input.tenantId },
    select: {
      id: true,
      name: true,
      memberships: { select: { role: true, createdAt: true, user: { select: { id: true, email: true, name: true } } }, orderBy: { createdAt: "asc" } },
      invitations: {
        where: { acceptedAt: null, revokedAt: null },
        select: { id: true, email: true, role: true, createdAt: true, expiresAt: true, lastSentAt: true, invitedByEmail: true },
        orderBy: { createdAt: "desc" },
      },
    },
  });
  if (!tenant) throw notFound("Team");
  const members: MemberView[] = tenant.memberships.map((m) => ({ userId: m.user.id, email: m.user.email, name: m.user.name, role: m.role, joinedAt: m.createdAt.toISOString() }));
  return {
    tenant: { id: tenant.id, name: tenant.name },
    role: input.role,
    permissions: permissionsOf(input.role),
    members,
    // Members see who is in the team; only those who manage it see pending invitations.
    invitations: permissionsOf(input.role).includes("members.manage") ? tenant.invitations.map((row) => toInvitationView(row, now)) : [],
    emailEnabled: Boolean(getServerEnv().SMTP_URL),
  };
}

async function lockTenant(tx: Prisma.TransactionClient, tenantId: string): Promise<void> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "Tenant" WHERE id = ${tenantId} FOR UPDATE`;
  if (rows.length === 0) throw notFound("Team");
}

async function requireMembership(tx: Prisma.TransactionClient, input: { tenantId: string; userId: string }) {
  const membership = await tx.membership.findUnique({
    where: { userId_tenantId: { userId: input.userId, tenantId: input.tenantId } },
    select: { id: true, role: true, user: { select: { email: true } } },
  });
  if (!membership) throw notFound("Member");
  return membership;
}

async function requireAnotherOwner(tx: Prisma.TransactionClient, input: { tenantId: string; userId: string; message: string }): Promise<void> {
  const otherOwners = await tx.membership.count({ where: { tenantId: input.tenantId, role: "owner", userId: { not: input.userId } } });
  if (otherOwners === 0) throw new DomainError("conflict", input.message);
}

/** Leaving or losing a tenant: the dashboard must not keep pointing at it. */
async function forgetActiveTenant(tx: Prisma.TransactionClient, input: { tenantId: string; userId: string }): Promise<void> {
  await tx.user.updateMany({ where: { id: input.userId, activeTenantId: input.tenantId }, data: { activeTenantId: null } });
}

export async function changeMemberRole(db: Db, input: { actor: Actor; tenantId: string; userId: string; role: TenantRole }): Promise<void> {
  await db.$transaction(async (tx) => {
    await lockTenant(tx, input.tenantId);
    const membership = await requireMembership(tx, input);
    if (membership.role === input.role) return;
    if (membership.role === "owner") {
      await requireAnotherOwner(tx, { ...input, message: "A team needs at least one owner: make someone else an owner first" });
    }
    await tx.membership.update({ where: { id: membership.id }, data: { role: input.role } });
    await bumpSessionVersion(tx, [input.userId]);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: "member.role_change",
      targetType: "tenant",
      targetId: input.tenantId,
      before: { userId: input.userId, email: membership.user.email, role: membership.role },
      after: { userId: input.userId, email: membership.user.email, role: input.role },
    });
  });
}

export async function removeMember(db: Db, input: { actor: Actor; tenantId: string; userId: string; action?: "member.remove" | "member.leave" }): Promise<void> {
  await db.$transaction(async (tx) => {
    await lockTenant(tx, input.tenantId);
    const membership = await requireMembership(tx, input);
    if (membership.role === "owner") {
      await requireAnotherOwner(tx, {
        ...input,
        message: input.action === "member.leave" ? "You are the team's only owner: transfer ownership before leaving" : "A team needs at least one owner: this is the last one",
      });
    }
    await tx.membership.delete({ where: { id: membership.id } });
    await forgetActiveTenant(tx, input);
    await bumpSessionVersion(tx, [input.userId]);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: input.action ?? "member.remove",
      targetType: "tenant",
      targetId: input.tenantId,
      before: { userId: input.userId, email: membership.user.email, role: membership.role },
    });
  });
}

/** The signed-in user leaves a tenant; the last owner cannot. */
export async function leaveTenant(db: Db, input: { actor: Actor & { id: string }; tenantId: string }): Promise<void> {
  await removeMember(db, { actor: input.actor, tenantId: input.tenantId, userId: input.actor.id, action: "member.leave" });
}

/** Makes another member the owner; the previous owner stays on as a member. */
export async function transferOwnership(db: Db, input: { actor: Actor & { id: string }; tenantId: string; userId: string }): Promise<void> {
  if (input.userId === input.actor.id) throw new DomainError("unprocessable", "Choose another member to transfer ownership to", { field: "userId" });
  await db.$transaction(async (tx) => {
    await lockTenant(tx, input.tenantId);
    const from = await requireMembership(tx, { tenantId: input.tenantId, userId: input.actor.id });
    if (from.role !== "owner") throw new DomainError("forbidden", "Only an owner of this team can transfer ownership");
    const to = await requireMembership(tx, input).catch(() => {
      throw new DomainError("unprocessable", "That person is not a member of this team", { field: "userId" });
    });
    await tx.membership.update({ where: { userId_tenantId: { userId: input.userId, tenantId: input.tenantId } }, data: { role: "owner" } });
    await tx.membership.update({ where: { id: from.id }, data: { role: "member" } });
    await bumpSessionVersion(tx, [input.userId]);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: "tenant.transfer_ownership",
      targetType: "tenant",
      targetId: input.tenantId,
      before: { owner: from.user.email, newOwnerRole: to.role },
      after: { owner: to.user.email, previousOwnerRole: "member" },
    });
  });
}

/** The tenant the dashboard shows from now on. */
export async function setActiveTenant(db: Db, input: { userId: string; tenantId: string }): Promise<void> {
  const membership = await db.membership.findUnique({ where: { userId_tenantId: { userId: input.userId, tenantId: input.tenantId } }, select: { id: true } });
  if (!membership) throw notFound("Team");
  await db.user.update({ where: { id: input.userId }, data: { activeTenantId: input.tenantId } });
}
