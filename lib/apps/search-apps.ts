import type { Db } from "@/lib/db";
import type { AppView } from "./app.types";
import { appViewSelect, toAppView } from "./to-app-view";

const MAX_RESULTS = 100;

/**
 * Admin search over every tenant: app id/name, tenant name or a member's email, case-insensitive.
 * Deleted apps are included (marked by deletedAt) so support can still find them.
 */
export async function searchApps(db: Db, input: { q?: string; relayUrl: string; tenantId?: string }): Promise<(AppView & { balanceMinor: number })[]> {
  const q = input.q?.trim();
  const apps = await db.app.findMany({
    where: {
      ...(input.tenantId ? { tenantId: input.tenantId } : {}),
      ...(q
        ? {
            OR: [
              { id: { contains: q, mode: "insensitive" } },
              { name: { contains: q, mode: "insensitive" } },
              { tenant: { name: { contains: q, mode: "insensitive" } } },
              { tenant: { memberships: { some: { user: { email: { contains: q, mode: "insensitive" } } } } } },
            ],
          }
        : {}),
    },
    select: { ...appViewSelect, tenant: { select: { ...appViewSelect.tenant.select, billingAccount: { select: { balanceMinor: true } } } } },
    orderBy: { createdAt: "desc" },
    take: MAX_RESULTS,
  });
  return apps.map((app) => ({ ...toAppView(app, { relayUrl: input.relayUrl }), balanceMinor: app.tenant.billingAccount?.balanceMinor ?? 0 }));
}
