// Accepting an invitation link: single use (the first acceptance wins, atomically), not after it
// expires or is revoked, and only by the invited address when the invitation names one.
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import { hashOneTimeToken } from "@/lib/auth/one-time-token";
import type { Db } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import type { TenantRole } from "@/lib/tenancy/permissions";
import { normalizeEmail } from "@/lib/validation/email";

export interface InvitationPreview {
  tenantName: string;
  email: string | null;
  role: TenantRole;
  expiresAt: string;
  /** Why it can no longer be accepted, if so. */
  unusableReason: "expired" | "revoked" | "accepted" | null;
}

/** What the invite page shows before accepting; null for a token that never existed. */
export async function previewInvitation(db: Db, input: { token: string; now?: Date }): Promise<InvitationPreview | null> {
  const now = input.now ?? new Date();
  const invitation = await db.invitation.findUnique({
    where: { tokenHash: hashOneTimeToken(input.token) },
    select: { email: true, role: true, expiresAt: true, acceptedAt: true, revokedAt: true, tenant: { select: { name: true } } },
  });
  if (!invitation) return null;
  const unusableReason = invitation.acceptedAt ? "accepted" : invitation.revokedAt ? "revoked" : invitation.expiresAt <= now ? "expired" : null;
  return { tenantName: invitation.tenant.name, email: invitation.email, role: invitation.role, expiresAt: invitation.expiresAt.toISOString(), unusableReason };
}

function unusable(): DomainError {
  return new DomainError("not_found", "This invitation link is not valid any more: it was used, revoked or has expired. Ask for a new one.");
}

export async function acceptInvitation(db: Db, input: { actor: Actor & { id: string; email: string }; token: string; now?: Date }): Promise<{ tenantId: string; role: TenantRole }> {
  const now = input.now ?? new Date();
  const tokenHash = hashOneTimeToken(input.token);
  return db.$transaction(async (tx) => {
    const invitation = await tx.invitation.findUnique({ where: { tokenHash }, select: { id: true, tenantId: true, email: true, role: true } });
    if (!invitation) throw unusable();
    if (invitation.email && invitation.email !== normalizeEmail(input.actor.email)) {
      throw new DomainError("forbidden", `This invitation is for ${invitation.email}. Sign in with that address to accept it.`);
    }
    const existing = await tx.membership.findUnique({ where: { userId_tenantId: { userId: input.actor.id, tenantId: invitation.tenantId } }, select: { id: true } });
    if (existing) throw new DomainError("conflict", "You are already a member of this team");
    // The conditional update is the single-use guarantee: of two concurrent acceptances, one matches.
    const claimed = await tx.invitation.updateMany({
      where: { id: invitation.id, acceptedAt: null, revokedAt: null, expiresAt: { gt: now } },
      data: { acceptedAt: now, acceptedById: input.actor.id },
    });
    if (claimed.count === 0) throw unusable();
    await tx.membership.create({ data: { userId: input.actor.id, tenantId: invitation.tenantId, role: invitation.role } });
    await tx.user.update({ where: { id: input.actor.id }, data: { activeTenantId: invitation.tenantId } });
    await writeAuditLog(tx, {
      actor: input.actor,
      action: "member.join",
      targetType: "tenant",
      targetId: invitation.tenantId,
      after: { userId: input.actor.id, email: input.actor.email, role: invitation.role, invitationId: invitation.id },
    });
    return { tenantId: invitation.tenantId, role: invitation.role };
  });
}
