import type { Db } from "@/lib/db";
import { notFound } from "@/lib/errors";
import type { AppView } from "./app.types";
import { appViewSelect, toAppView } from "./to-app-view";

export async function getApp(db: Db, input: { appId: string; relayUrl: string }): Promise<AppView> {
  const app = await db.app.findUnique({ where: { id: input.appId }, select: appViewSelect });
  if (!app) throw notFound("App");
  return toAppView(app, { relayUrl: input.relayUrl });
}

/** Apps of every tenant the user belongs to, plus those tenants (for the "new app" form). */
export async function listAppsOfUser(db: Db, input: { userId: string; relayUrl: string }) {
  const [apps, memberships] = await Promise.all([
    db.app.findMany({
      where: { tenant: { memberships: { some: { userId: input.userId } } } },
      select: appViewSelect,
      orderBy: { createdAt: "asc" },
    }),
    db.membership.findMany({
      where: { userId: input.userId },
      select: { role: true, tenant: { select: { id: true, name: true } } },
      orderBy: { createdAt: "asc" },
    }),
  ]);
  return {
    apps: apps.map((app) => toAppView(app, { relayUrl: input.relayUrl })),
    tenants: memberships.map((m) => ({ id: m.tenant.id, name: m.tenant.name, role: m.role })),
  };
}
