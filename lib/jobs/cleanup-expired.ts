// Removes one-time links nobody can use any more. Reset links stay a day past their expiry (the reset
// throttle counts the last hour's links); invitations stay 30 days past expiry or revocation so the team
// page can still say "expired" for a while.
import type { Db } from "@/lib/db";

const RESET_LINK_KEPT_MS = 86_400_000;
const INVITATION_KEPT_MS = 30 * 86_400_000;

export async function cleanupExpiredLinks(db: Db, now: Date = new Date()): Promise<{ resetLinks: number; invitations: number }> {
  const resetLinks = await db.passwordResetToken.deleteMany({ where: { expiresAt: { lt: new Date(now.getTime() - RESET_LINK_KEPT_MS) } } });
  const invitationCutoff = new Date(now.getTime() - INVITATION_KEPT_MS);
  const invitations = await db.invitation.deleteMany({
    where: { acceptedAt: null, OR: [{ expiresAt: { lt: invitationCutoff } }, { revokedAt: { lt: invitationCutoff } }] },
  });
  return { resetLinks: resetLinks.count, invitations: invitations.count };
}
