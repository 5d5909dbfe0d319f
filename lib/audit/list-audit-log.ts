import type { Db, Prisma } from "@/lib/db";
import { type AuditNames, auditChanges, describeChanges } from "./audit-diff";
import { auditNames } from "./audit-names";
import type { AuditEntryView, ListAuditLogQuery } from "./list-audit-log.types";

const PAGE_SIZE = 50;
export const CSV_EXPORT_MAX_ROWS = 10_000;

function endOfDay(value: string): Date {
  const date = new Date(value);
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(date.getTime() + 86_400_000 - 1) : date;
}

async function auditWhere(db: Db, query: ListAuditLogQuery): Promise<Prisma.AuditLogWhereInput> {
  const and: Prisma.AuditLogWhereInput[] = [];
  if (query.actor) {
    and.push(query.actor.toLowerCase() === "system" ? { actorId: null } : { actorEmail: { contains: query.actor, mode: "insensitive" } });
  }
  if (query.action) and.push(query.action.endsWith(".") ? { action: { startsWith: query.action } } : { action: query.action });
  if (query.targetType) and.push({ targetType: query.targetType });
  if (query.targetId) and.push({ targetId: query.targetId });
  if (query.appId) {
    // Keys are never hard-deleted (apps are soft-deleted), so their ids still name the app's key events.
    const keys = await db.apiKey.findMany({ where: { appId: query.appId }, select: { id: true } });
    and.push({
      OR: [
        { targetType: { in: ["app", "app_override", "billing_account"] }, targetId: query.appId },
        { targetType: "api_key", targetId: { in: keys.map((key) => key.id) } },
      ],
    });
  }
  if (query.from || query.to) and.push({ at: { ...(query.from ? { gte: new Date(query.from) } : {}), ...(query.to ? { lte: endOfDay(query.to) } : {}) } });
  return and.length > 0 ? { AND: and } : {};
}

type AuditRow = Prisma.AuditLogGetPayload<object>;

function toEntryView(row: AuditRow, names: AuditNames): AuditEntryView {
  return {
    id: row.id,
    actorId: row.actorId,
    actorEmail: row.actorEmail,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    targetName: names.get(row.targetId) ?? null,
    before: row.before,
    after: row.after,
    changes: auditChanges(row.before, row.after, names),
    at: row.at.toISOString(),
  };
}

/** Newest first; the cursor is the id of the last entry of the previous page. */
export async function listAuditLog(db: Db, query: ListAuditLogQuery): Promise<{ entries: AuditEntryView[]; nextCursor: string | null }> {
  const rows = await db.auditLog.findMany({
    where: await auditWhere(db, query),
    orderBy: [{ at: "desc" }, { id: "desc" }],
    take: PAGE_SIZE + 1,
    ...(query.cursor ? { cursor: { id: query.cursor }, skip: 1 } : {}),
  });
  const page = rows.slice(0, PAGE_SIZE);
  const names = await auditNames(db, page);
  return { entries: page.map((row) => toEntryView(row, names)), nextCursor: rows.length > PAGE_SIZE ? (page.at(-1)?.id ?? null) : null };
}

function csvCell(value: string): string {
  // Leading =, +, - or @ would run as a formula in a spreadsheet: quote them as text.
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) || safe !== value ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The filtered log as CSV (newest first, at most CSV_EXPORT_MAX_ROWS rows), changes as readable text. */
export async function exportAuditLogCsv(db: Db, query: Omit<ListAuditLogQuery, "cursor">): Promise<string> {
  const rows = await db.auditLog.findMany({ where: await auditWhere(db, query), orderBy: [{ at: "desc" }, { id: "desc" }], take: CSV_EXPORT_MAX_ROWS });
  const names = await auditNames(db, rows);
  const lines = [["at", "actor", "action", "target type", "target id", "target", "changes"].join(",")];
  for (const row of rows) {
    const entry = toEntryView(row, names);
    lines.push([entry.at, entry.actorEmail ?? "system", entry.action, entry.targetType, entry.targetId, entry.targetName ?? "", describeChanges(entry.changes)].map(csvCell).join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}
