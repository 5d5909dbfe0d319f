// How many live apps a tenant may have. Every app is a fresh set of relay limits and, on pay-as-you-go,
// a fresh free allowance, so their number is bounded: DEFAULT_MAX_APPS_PER_TENANT, unless a platform
// admin gives the tenant its own limit (Tenant.maxApps). Deleted apps do not count.
import type { Prisma } from "@/lib/db";
import { DomainError, notFound } from "@/lib/errors";

export const DEFAULT_MAX_APPS_PER_TENANT = 25;

export function effectiveAppLimit(maxApps: number | null): number {
  return maxApps ?? DEFAULT_MAX_APPS_PER_TENANT;
}

/**
 * Locks the tenant row until the transaction ends, so two creations cannot both see room for one more
 * app, and refuses with 409 limit_exceeded when the tenant is at its limit.
 */
export async function assertRoomForAnotherApp(tx: Prisma.TransactionClient, tenantId: string): Promise<void> {
  const [tenant] = await tx.$queryRaw<{ maxApps: number | null }[]>`SELECT "maxApps" FROM "Tenant" WHERE id = ${tenantId} FOR UPDATE`;
  if (!tenant) throw notFound("Team");
  const limit = effectiveAppLimit(tenant.maxApps);
  const liveApps = await tx.app.count({ where: { tenantId, deletedAt: null } });
  if (liveApps >= limit) {
    throw new DomainError("limit_exceeded", `A team can have at most ${limit} apps. Delete an app you no longer use, or ask the operator to raise the limit.`);
  }
}
