// Password reset by email: a single-use link, valid for an hour, only its SHA-256 stored. Asking for a
// reset answers the same whether or not the address has an account, so it cannot probe for accounts;
// an account gets at most MAX_RESET_MAILS_PER_HOUR links an hour.
import { writeAuditLog } from "@/lib/audit/write-audit-log";
import { hashOneTimeToken, linkTo, newOneTimeToken } from "@/lib/auth/one-time-token";
import { hashPassword } from "@/lib/auth/password";
import { bumpSessionVersion } from "@/lib/auth/session-version";
import type { Db } from "@/lib/db";
import type { Mailer } from "@/lib/email/mailer";
import { DomainError } from "@/lib/errors";
import { normalizeEmail } from "@/lib/validation/email";

export const PASSWORD_RESET_TTL_MS = 60 * 60_000;
/**
 * Reset links mailed to one account per hour. Past it, requests are answered the same but send nothing:
 * a refusal would tell that the account exists, and a stranger must not be able to flood its inbox.
 */
export const MAX_RESET_MAILS_PER_HOUR = 3;
const TOKEN_PREFIX = "pwr_";

/** Mails a reset link when the account exists. Without a mailer nothing can be sent: that is an error. */
export async function requestPasswordReset(db: Db, context: { mailer: Mailer | null; baseUrl: string; now?: Date }, input: { email: string }): Promise<void> {
  if (!context.mailer) throw new DomainError("unavailable", "This server cannot send email (SMTP_URL is not set). Ask your administrator to reset your password.");
  const now = context.now ?? new Date();
  const email = normalizeEmail(input.email);
  const user = await db.user.findUnique({ where: { email }, select: { id: true, email: true } });
  if (!user) return;
  const recentLinks = await db.passwordResetToken.count({ where: { userId: user.id, createdAt: { gt: new Date(now.getTime() - 60 * 60_000) } } });
  if (recentLinks >= MAX_RESET_MAILS_PER_HOUR) return;
  const { token, tokenHash } = newOneTimeToken(TOKEN_PREFIX);
  await db.passwordResetToken.create({ data: { userId: user.id, tokenHash, createdAt: now, expiresAt: new Date(now.getTime() + PASSWORD_RESET_TTL_MS) } });
  await context.mailer.send({
    to: user.email,
    subject: "Reset your Tollgate password",
    text: [
      "Someone (hopefully you) asked to reset the password of your Tollgate account.",
      "",
      `Choose a new password: ${linkTo(context.baseUrl, `/reset-password/${token}`)}`,
      "",
      "The link works once and expires in one hour. If you did not ask for this, ignore this email: your password stays as it is.",
    ].join("\n"),
  });
}

function invalidLink(): DomainError {
  return new DomainError("unprocessable", "This reset link is not valid any more: it was used or has expired. Ask for a new one.", { field: "token" });
}

/** Sets the new password, uses up every outstanding reset link of the account and ends its sessions. */
export async function resetPassword(db: Db, input: { token: string; password: string; now?: Date }): Promise<{ email: string }> {
  const now = input.now ?? new Date();
  const tokenHash = hashOneTimeToken(input.token);
  const passwordHash = await hashPassword(input.password);
  return db.$transaction(async (tx) => {
    const row = await tx.passwordResetToken.findUnique({ where: { tokenHash }, select: { id: true, userId: true, user: { select: { email: true } } } });
    if (!row) throw invalidLink();
    // The conditional update makes the link single use, even for two requests at the same instant.
    const claimed = await tx.passwordResetToken.updateMany({ where: { id: row.id, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
    if (claimed.count === 0) throw invalidLink();
    await tx.passwordResetToken.updateMany({ where: { userId: row.userId, usedAt: null }, data: { usedAt: now } });
    await tx.user.update({ where: { id: row.userId }, data: { passwordHash } });
    await bumpSessionVersion(tx, [row.userId]);
    await writeAuditLog(tx, { actor: { id: row.userId, email: row.user.email }, action: "user.reset_password", targetType: "user", targetId: row.userId });
    return { email: row.user.email };
  });
}
