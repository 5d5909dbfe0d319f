import type { Db } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { normalizeEmail } from "@/lib/validation/email";
import { hashPassword } from "./password";

export interface SignUpInput {
  email: string;
  password: string;
  name?: string;
  tenantName?: string;
  isPlatformAdmin?: boolean;
}

/** Creates a user and the tenant they own. Emails are stored normalised (lib/validation/email.ts). */
export async function signUp(db: Db, input: SignUpInput) {
  const email = normalizeEmail(input.email);
  const existing = await db.user.findUnique({ where: { email }, select: { id: true } });
  if (existing) throw new DomainError("conflict", "An account with this email already exists", { field: "email" });
  const passwordHash = await hashPassword(input.password);
  const tenantName = input.tenantName?.trim() || `${input.name?.trim() || email.split("@")[0]}'s team`;
  return db.$transaction(async (tx) => {
    const user = await tx.user.create({
      data: { email, name: input.name?.trim() || null, passwordHash, isPlatformAdmin: input.isPlatformAdmin ?? false },
      select: { id: true, email: true, name: true, isPlatformAdmin: true },
    });
    const tenant = await tx.tenant.create({ data: { name: tenantName }, select: { id: true, name: true } });
    await tx.membership.create({ data: { userId: user.id, tenantId: tenant.id, role: "owner" } });
    await tx.auditLog.create({
      data: { actorId: user.id, actorEmail: email, action: "user.sign_up", targetType: "tenant", targetId: tenant.id },
    });
    return { user, tenant };
  });
}
