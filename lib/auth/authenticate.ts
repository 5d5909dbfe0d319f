import type { Db } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { verifyPassword } from "./password";
import { signInLimits } from "./sign-in-rate-limiter";

export interface SessionUser {
  id: string;
  email: string;
  name: string | null;
  isPlatformAdmin: boolean;
}

export interface AuthenticatedUser extends SessionUser {
  sessionVersion: number;
}

/** Checks email + password under the per-IP and per-email limits. Returns null on bad credentials. */
export async function authenticate(
  db: Db,
  input: { email: string; password: string; ip: string },
): Promise<AuthenticatedUser | null> {
  const email = input.email.trim().toLowerCase();
  const waitSec = Math.max(signInLimits.perIp.hit(`ip:${input.ip}`), signInLimits.perEmail.hit(`email:${email}`));
  if (waitSec > 0) {
    throw new DomainError("rate_limited", `Too many sign-in attempts. Try again in ${waitSec} s.`, {
      retryAfterSec: waitSec,
    });
  }
  const user = await db.user.findUnique({
    where: { email },
    select: { id: true, email: true, name: true, isPlatformAdmin: true, passwordHash: true, sessionVersion: true },
  });
  if (!user || !(await verifyPassword(input.password, user.passwordHash))) return null;
  signInLimits.perEmail.reset(`email:${email}`);
  return { id: user.id, email: user.email, name: user.name, isPlatformAdmin: user.isPlatformAdmin, sessionVersion: user.sessionVersion };
}
