import type { Db } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { normalizeEmail } from "@/lib/validation/email";
import { hashPassword, verifyPassword } from "./password";
import { type SignInThrottle, signInThrottle } from "./sign-in-rate-limiter";

export interface SessionUser {
  id: string;
  email: string;
  name: string | null;
  isPlatformAdmin: boolean;
  /** A platform admin viewing the dashboard as this tenant's customer (read-only, lib/tenancy/view-as.ts). */
  viewingTenantId?: string | null;
}

export interface AuthenticatedUser extends SessionUser {
  sessionVersion: number;
}

// An unknown email is checked against this hash, so a sign-in costs one bcrypt comparison whether or
// not the account exists and the answer's timing does not tell.
let dummyHash: Promise<string> | undefined;
function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(`no-such-account-${Math.random()}`);
  return dummyHash;
}

/**
 * Checks email + password under the sign-in throttle (per source address, per address and account,
 * per account). Returns null on bad credentials; throws rate_limited while the caller must wait.
 */
export async function authenticate(
  db: Db,
  input: { email: string; password: string; ip: string },
  throttle: SignInThrottle = signInThrottle,
): Promise<AuthenticatedUser | null> {
  const email = normalizeEmail(input.email);
  const waitSec = await throttle.retryAfterSec(input.ip, email);
  if (waitSec > 0) {
    throw new DomainError("rate_limited", `Too many sign-in attempts. Try again in ${waitSec} s.`, { retryAfterSec: waitSec });
  }
  const user = await db.user.findUnique({
    where: { email },
    select: { id: true, email: true, name: true, isPlatformAdmin: true, passwordHash: true, sessionVersion: true },
  });
  const passwordOk = await verifyPassword(input.password, user?.passwordHash ?? (await dummyPasswordHash()));
  if (!user || !passwordOk) {
    await throttle.recordFailure(input.ip, email);
    return null;
  }
  await throttle.recordSuccess(input.ip, email);
  return { id: user.id, email: user.email, name: user.name, isPlatformAdmin: user.isPlatformAdmin, sessionVersion: user.sessionVersion };
}
