import type { Db } from "@/lib/db";

/** Apps of every tenant the user belongs to. */
export function listAppsForUser(db: Db, userId: string) {
  return db.app.findMany({
    where: { tenant: { memberships: { some: { userId } } } },
    select: { id: true, name: true, status: true, createdAt: true, plan: { select: { name: true } } },
    orderBy: { createdAt: "asc" },
  });
}
