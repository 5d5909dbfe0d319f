// Audit entries are written inside the same transaction as the change they describe, so a change
// never lands without its record (and a rolled-back change leaves none).
import type { Prisma } from "@/lib/db";

export interface Actor {
  id: string | null;
  email?: string | null;
}

export const SYSTEM_ACTOR: Actor = { id: null, email: null };

export interface AuditInput {
  actor: Actor;
  action: string;
  targetType: "app" | "plan" | "api_key" | "app_override" | "billing_account" | "tenant" | "user" | "operator_settings";
  targetId: string;
  before?: unknown;
  after?: unknown;
}

/** JSON columns cannot hold BigInt or Date objects: both become JSON-safe values first. */
function toJson(value: unknown): Prisma.InputJsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? Number(v) : v))) as Prisma.InputJsonValue;
}

export async function writeAuditLog(tx: Prisma.TransactionClient, input: AuditInput): Promise<void> {
  await tx.auditLog.create({
    data: {
      actorId: input.actor.id,
      actorEmail: input.actor.email ?? null,
      action: input.action,
      targetType: input.targetType,
      targetId: input.targetId,
      before: toJson(input.before),
      after: toJson(input.after),
    },
  });
}
