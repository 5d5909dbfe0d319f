import type { Db } from "@/lib/db";
import type { AppView } from "./app.types";
import { appViewSelect, toAppView } from "./to-app-view";

const MAX_RESULTS = 100;

/** Admin search over every tenant: app id/name or tenant name, case-insensitive. */
export async function searchApps(db: Db, input: { q?: string; relayUrl: string }): Promise<(AppView & { balanceMinor: number })[]> {
  const q = input.q?.trim();
  const apps = await db.app.findMany({
    where: q
      ? {
          OR: [
            { id: { contains: q, mode: "insensitive" } },
            { name: { contains: q, mode: "insensitive" } },
            { tenant: { name: { contains: q, mode: "insensitive" } } },
          ],
        }
      : {},
    select: { ...appViewSelect, billingAccount: { select: { balanceMinor: true } } },
    orderBy: { createdAt: "desc" },
    take: MAX_RESULTS,
  });
  return apps.map((app) => ({ ...toAppView(app, { relayUrl: input.relayUrl }), balanceMinor: app.billingAccount?.balanceMinor ?? 0 }));
}
