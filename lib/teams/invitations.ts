// Inviting people to a tenant: by email (mailed when SMTP is configured) or by a copyable link. The
// link's token is shown once; resending issues a new token, so an old link stops working. Both are
// limited per tenant and per invitee address (invitation-limits.ts).
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import { linkTo, newOneTimeToken } from "@/lib/auth/one-time-token";
import type { Db } from "@/lib/db";
import type { Mailer } from "@/lib/email/mailer";
import { DomainError, notFound } from "@/lib/errors";
import type { TenantRole } from "@/lib/tenancy/permissions";
import { normalizeEmail } from "@/lib/validation/email";
import { takeInvitationAllowance } from "./invitation-limits";
import type { InvitationView, IssuedInvitation } from "./team.types";

export const INVITATION_TTL_MS = 7 * 86_400_000;
const TOKEN_PREFIX = "inv_";

interface InvitationRow {
  id: string;
  email: string | null;
  role: TenantRole;
  createdAt: Date;
  expiresAt: Date;
  lastSentAt: Date;
  invitedByEmail: string | null;
}

export function toInvitationView(row: InvitationRow, now: Date = new Date()): InvitationView {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    lastSentAt: row.lastSentAt.toISOString(),
    expired: row.expiresAt.getTime() <= now.getTime(),
    invitedByEmail: row.invitedByEmail,
  };
}

const invitationSelect = { id: true, email: true, role: true, createdAt: true, expiresAt: true, lastSentAt: true, invitedByEmail: true, tenantId: true } as const;

export interface InvitationContext {
  /** The dashboard's public address, for the link. */
  baseUrl: string;
  mailer: Mailer | null;
  now?: Date;
}

async function deliver(context: InvitationContext, input: { email: string | null; tenantName: string; inviterEmail: string | null; role: TenantRole; link: string; expiresAt: Date }): Promise<boolean> {
  if (!input.email || !context.mailer) return false;
  await context.mailer.send({
    to: input.email,
    subject: `You are invited to ${input.tenantName} on Tollgate`,
    text: [
      `${input.inviterEmail ?? "Someone"} invited you to join ${input.tenantName} on Tollgate as ${input.role === "owner" ? "an owner" : "a member"}.`,
      "",
      `Accept the invitation: ${input.link}`,
      "",
      `The link works once and expires on ${input.expiresAt.toUTCString()}.`,
      "If you did not expect this, ignore this email.",
    ].join("\n"),
  });
  return true;
}

export async function createInvitation(
  db: Db,
  context: InvitationContext,
  input: { actor: Actor; tenantId: string; email?: string; role: TenantRole },
): Promise<IssuedInvitation> {
  const now = context.now ?? new Date();
  const email = input.email?.trim() ? normalizeEmail(input.email) : null;
  const { token, tokenHash } = newOneTimeToken(TOKEN_PREFIX);
  const expiresAt = new Date(now.getTime() + INVITATION_TTL_MS);
  const { invitation, tenantName } = await db.$transaction(async (tx) => {
    const tenant = await tx.tenant.findUnique({ where: { id: input.tenantId }, select: { name: true } });
    if (!tenant) throw notFound("Team");
    if (email) {
      const member = await tx.membership.findFirst({ where: { tenantId: input.tenantId, user: { email } }, select: { id: true } });
      if (member) throw new DomainError("conflict", `${email} is already a member of this team`, { field: "email" });
      const pending = await tx.invitation.findFirst({
        where: { tenantId: input.tenantId, email, acceptedAt: null, revokedAt: null, expiresAt: { gt: now } },
        select: { id: true },
      });
      if (pending) throw new DomainError("conflict", `${email} already has a pending invitation: resend it instead`, { field: "email" });
    }
    // Spent only once the invitation will be issued: a refused duplicate costs no allowance.
    await takeInvitationAllowance({ tenantId: input.tenantId, email });
    const created = await tx.invitation.create({
      data: { tenantId: input.tenantId, email, role: input.role, tokenHash, invitedById: input.actor.id, invitedByEmail: input.actor.email ?? null, expiresAt, createdAt: now, lastSentAt: now },
      select: invitationSelect,
    });
    await writeAuditLog(tx, { actor: input.actor, action: "invitation.create", targetType: "tenant", targetId: input.tenantId, after: { invitationId: created.id, email, role: input.role } });
    return { invitation: created, tenantName: tenant.name };
  });
  const link = linkTo(context.baseUrl, `/invite/${token}`);
  const emailed = await deliver(context, { email, tenantName, inviterEmail: input.actor.email ?? null, role: input.role, link, expiresAt });
  return { invitation: toInvitationView(invitation, now), link, emailed };
}

async function requirePendingInvitation(db: Db, input: { tenantId: string; invitationId: string }) {
  const invitation = await db.invitation.findFirst({
    where: { id: input.invitationId, tenantId: input.tenantId, acceptedAt: null, revokedAt: null },
    select: { ...invitationSelect, tenant: { select: { name: true } } },
  });
  if (!invitation) throw notFound("Invitation");
  return invitation;
}

/** A fresh token and expiry (the previous link stops working), mailed again when it has an email. */
export async function resendInvitation(db: Db, context: InvitationContext, input: { actor: Actor; tenantId: string; invitationId: string }): Promise<IssuedInvitation> {
  const now = context.now ?? new Date();
  const existing = await requirePendingInvitation(db, input);
  await takeInvitationAllowance({ tenantId: input.tenantId, email: existing.email });
  const { token, tokenHash } = newOneTimeToken(TOKEN_PREFIX);
  const expiresAt = new Date(now.getTime() + INVITATION_TTL_MS);
  const updated = await db.$transaction(async (tx) => {
    const changed = await tx.invitation.updateMany({ where: { id: existing.id, acceptedAt: null, revokedAt: null }, data: { tokenHash, expiresAt, lastSentAt: now } });
    if (changed.count === 0) throw notFound("Invitation");
    await writeAuditLog(tx, { actor: input.actor, action: "invitation.resend", targetType: "tenant", targetId: input.tenantId, after: { invitationId: existing.id, email: existing.email } });
    return tx.invitation.findUniqueOrThrow({ where: { id: existing.id }, select: invitationSelect });
  });
  const link = linkTo(context.baseUrl, `/invite/${token}`);
  const emailed = await deliver(context, { email: updated.email, tenantName: existing.tenant.name, inviterEmail: input.actor.email ?? null, role: updated.role, link, expiresAt });
  return { invitation: toInvitationView(updated, now), link, emailed };
}

export async function revokeInvitation(db: Db, input: { actor: Actor; tenantId: string; invitationId: string }): Promise<void> {
  await db.$transaction(async (tx) => {
    const changed = await tx.invitation.updateMany({
      where: { id: input.invitationId, tenantId: input.tenantId, acceptedAt: null, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (changed.count === 0) throw notFound("Invitation");
    await writeAuditLog(tx, { actor: input.actor, action: "invitation.revoke", targetType: "tenant", targetId: input.tenantId, before: { invitationId: input.invitationId } });
  });
}
