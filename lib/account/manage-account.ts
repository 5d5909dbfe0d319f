// Account settings of the signed-in user: profile, password, signing out everywhere, and the platform
// admin flag (admins only). Whatever should end other sessions bumps the session version in the same
// transaction (lib/auth/session-version.ts).
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import { hashPassword, verifyPassword } from "@/lib/auth/password";
import { bumpSessionVersion } from "@/lib/auth/session-version";
import type { Db } from "@/lib/db";
import { DomainError, notFound } from "@/lib/errors";
import type { AccountView, UpdateProfileBody } from "./account.types";

const accountSelect = { id: true, email: true, name: true, isPlatformAdmin: true, createdAt: true, passwordHash: true } as const;

function toAccountView(user: { id: string; email: string; name: string | null; isPlatformAdmin: boolean; createdAt: Date }): AccountView {
  return { id: user.id, email: user.email, name: user.name, isPlatformAdmin: user.isPlatformAdmin, createdAt: user.createdAt.toISOString() };
}

async function requireUser(db: Db, userId: string) {
  const user = await db.user.findUnique({ where: { id: userId }, select: accountSelect });
  if (!user) throw notFound("Account");
  return user;
}

function wrongPassword(field: string): DomainError {
  return new DomainError("unprocessable", "That is not your current password", { field });
}

export async function getAccount(db: Db, input: { userId: string }): Promise<AccountView> {
  return toAccountView(await requireUser(db, input.userId));
}

export async function updateProfile(db: Db, input: { userId: string; changes: UpdateProfileBody }): Promise<AccountView> {
  const user = await requireUser(db, input.userId);
  const email = input.changes.email;
  const emailChanges = email !== undefined && email !== user.email;
  if (emailChanges) {
    if (!input.changes.currentPassword) throw new DomainError("unprocessable", "Enter your current password to change your email", { field: "currentPassword" });
    if (!(await verifyPassword(input.changes.currentPassword, user.passwordHash))) throw wrongPassword("currentPassword");
    const taken = await db.user.findUnique({ where: { email }, select: { id: true } });
    if (taken) throw new DomainError("conflict", "Another account uses this email", { field: "email" });
  }
  const name = input.changes.name === undefined ? user.name : input.changes.name || null;
  const updated = await db.$transaction(async (tx) => {
    const row = await tx.user.update({ where: { id: user.id }, data: { name, ...(emailChanges ? { email } : {}) }, select: accountSelect });
    await writeAuditLog(tx, {
      actor: { id: user.id, email: user.email },
      action: "user.update_profile",
      targetType: "user",
      targetId: user.id,
      before: { name: user.name, email: user.email },
      after: { name: row.name, email: row.email },
    });
    return row;
  });
  return toAccountView(updated);
}

/** Changes the password and ends every session (the browser that asked signs in again with the new one). */
export async function changePassword(db: Db, input: { userId: string; currentPassword: string; newPassword: string }): Promise<void> {
  const user = await requireUser(db, input.userId);
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) throw wrongPassword("currentPassword");
  const passwordHash = await hashPassword(input.newPassword);
  await db.$transaction(async (tx) => {
    await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
    await bumpSessionVersion(tx, [user.id]);
    await writeAuditLog(tx, { actor: { id: user.id, email: user.email }, action: "user.change_password", targetType: "user", targetId: user.id });
  });
}

export async function signOutEverywhere(db: Db, input: { userId: string }): Promise<void> {
  const user = await requireUser(db, input.userId);
  await db.$transaction(async (tx) => {
    await bumpSessionVersion(tx, [user.id]);
    await writeAuditLog(tx, { actor: { id: user.id, email: user.email }, action: "user.sign_out_everywhere", targetType: "user", targetId: user.id });
  });
}

/** Grants or removes platform-admin rights; a demotion ends the user's sessions at once. */
export async function setPlatformAdmin(db: Db, input: { actor: Actor; userId: string; isPlatformAdmin: boolean }): Promise<AccountView> {
  if (input.actor.id === input.userId && !input.isPlatformAdmin) {
    throw new DomainError("unprocessable", "You cannot remove your own admin rights; ask another admin", { field: "isPlatformAdmin" });
  }
  const user = await requireUser(db, input.userId);
  if (user.isPlatformAdmin === input.isPlatformAdmin) return toAccountView(user);
  const updated = await db.$transaction(async (tx) => {
    const row = await tx.user.update({ where: { id: user.id }, data: { isPlatformAdmin: input.isPlatformAdmin }, select: accountSelect });
    if (!input.isPlatformAdmin) await bumpSessionVersion(tx, [user.id]);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: input.isPlatformAdmin ? "user.grant_admin" : "user.revoke_admin",
      targetType: "user",
      targetId: user.id,
      before: { email: user.email, isPlatformAdmin: user.isPlatformAdmin },
      after: { email: user.email, isPlatformAdmin: input.isPlatformAdmin },
    });
    return row;
  });
  return toAccountView(updated);
}
