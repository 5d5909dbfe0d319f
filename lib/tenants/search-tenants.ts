import type { Db } from "@/lib/db";

const MAX_RESULTS = 100;

/** Admin search: tenant id or name, or a member's email, case-insensitive. */
export async function searchTenants(db: Db, input: { q?: string }) {
  const q = input.q?.trim();
  const tenants = await db.tenant.findMany({
    where: q
      ? {
          OR: [
            { id: { contains: q, mode: "insensitive" } },
            { name: { contains: q, mode: "insensitive" } },
            { memberships: { some: { user: { email: { contains: q, mode: "insensitive" } } } } },
          ],
        }
      : {},
    select: {
      id: true,
      name: true,
      createdAt: true,
      _count: { select: { apps: true } },
      memberships: { select: { role: true, user: { select: { id: true, email: true } } }, orderBy: { createdAt: "asc" } },
    },
    orderBy: { createdAt: "desc" },
    take: MAX_RESULTS,
  });
  return tenants.map((tenant) => ({
    id: tenant.id,
    name: tenant.name,
    createdAt: tenant.createdAt.toISOString(),
    appCount: tenant._count.apps,
    members: tenant.memberships.map((m) => ({ userId: m.user.id, email: m.user.email, role: m.role })),
  }));
}
