// Sessions are JWTs, so signing out on one device cannot reach the others by itself. Each user has a
// session version; every token carries the version it was issued under and is checked against the
// user's current one on each request. Bumping the version ends every session at once: "sign out
// everywhere", a password change or reset, a role change and a platform-admin demotion all do.
import type { Db, Prisma } from "@/lib/db";

export class SessionRevokedError extends Error {
  constructor() {
    super("The session was signed out");
    this.name = "SessionRevokedError";
  }
}

export interface SessionClaims {
  userId: string;
  email: string;
  name: string | null;
  isPlatformAdmin: boolean;
  sessionVersion: number;
  /** Only ever set for a platform admin (a demoted admin stops viewing at once). */
  viewingTenantId: string | null;
}

/**
 * The token's claims as of now (email, name and admin flag re-read, so a rename or demotion shows at
 * once). Throws SessionRevokedError when the user is gone or the version moved on.
 */
export async function refreshSessionClaims(db: Db, token: { userId?: string; sessionVersion?: number }): Promise<SessionClaims> {
  if (!token.userId) throw new SessionRevokedError();
  const user = await db.user.findUnique({
    where: { id: token.userId },
    select: { id: true, email: true, name: true, isPlatformAdmin: true, sessionVersion: true, viewingTenantId: true },
  });
  if (!user || user.sessionVersion !== (token.sessionVersion ?? 0)) throw new SessionRevokedError();
  return {
    userId: user.id,
    email: user.email,
    name: user.name,
    isPlatformAdmin: user.isPlatformAdmin,
    sessionVersion: user.sessionVersion,
    viewingTenantId: user.isPlatformAdmin ? user.viewingTenantId : null,
  };
}

/** Ends every session of these users (inside the caller's transaction, with the change that calls for it). */
export async function bumpSessionVersion(tx: Prisma.TransactionClient, userIds: string[]): Promise<void> {
  if (userIds.length === 0) return;
  await tx.user.updateMany({ where: { id: { in: userIds } }, data: { sessionVersion: { increment: 1 } } });
}
