// The names an audit page shows instead of ids: each entry's target (an app, plan, key, team or user)
// and the ids its before/after name (`tenantId`, `planId`, …), looked up in one query per table for a
// whole page. An id that no longer resolves (a deleted user, say) stays an id.
import type { Db } from "@/lib/db";

interface NamedRow {
  targetType: string;
  targetId: string;
  before: unknown;
  after: unknown;
}

function idsIn(value: unknown, into: Set<string>): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return;
  for (const [field, fieldValue] of Object.entries(value)) if (/Id$/.test(field) && typeof fieldValue === "string") into.add(fieldValue);
}

/** Id → name for every target and every `…Id` value of the rows. */
export async function auditNames(db: Db, rows: readonly NamedRow[]): Promise<Map<string, string>> {
  const ids = new Set<string>();
  for (const row of rows) {
    ids.add(row.targetId);
    idsIn(row.before, ids);
    idsIn(row.after, ids);
  }
  if (ids.size === 0) return new Map();
  const wanted = { in: [...ids] };
  const [apps, plans, keys, tenants, users] = await Promise.all([
    db.app.findMany({ where: { id: wanted }, select: { id: true, name: true } }),
    db.plan.findMany({ where: { id: wanted }, select: { id: true, name: true } }),
    db.apiKey.findMany({ where: { id: wanted }, select: { id: true, name: true } }),
    db.tenant.findMany({ where: { id: wanted }, select: { id: true, name: true } }),
    db.user.findMany({ where: { id: wanted }, select: { id: true, email: true } }),
  ]);
  return new Map<string, string>([
    ...apps.map((app) => [app.id, `app ${app.name}`] as const),
    ...plans.map((plan) => [plan.id, `plan ${plan.name}`] as const),
    ...keys.map((key) => [key.id, `key ${key.name}`] as const),
    ...tenants.map((tenant) => [tenant.id, `team ${tenant.name}`] as const),
    ...users.map((user) => [user.id, user.email] as const),
  ]);
}
