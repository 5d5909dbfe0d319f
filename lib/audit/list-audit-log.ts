import type { Db } from "@/lib/db";
import type { AuditEntryView, ListAuditLogQuery } from "./list-audit-log.types";

const PAGE_SIZE = 50;

/** Newest first; the cursor is the id of the last entry of the previous page. */
export async function listAuditLog(db: Db, query: ListAuditLogQuery): Promise<{ entries: AuditEntryView[]; nextCursor: string | null }> {
  const rows = await db.auditLog.findMany({
    where: { targetType: query.targetType, targetId: query.targetId },
    orderBy: [{ at: "desc" }, { id: "desc" }],
    take: PAGE_SIZE + 1,
    ...(query.cursor ? { cursor: { id: query.cursor }, skip: 1 } : {}),
  });
  const page = rows.slice(0, PAGE_SIZE);
  return {
    entries: page.map((row) => ({
      id: row.id,
      actorId: row.actorId,
      actorEmail: row.actorEmail,
      action: row.action,
      targetType: row.targetType,
      targetId: row.targetId,
      before: row.before,
      after: row.after,
      at: row.at.toISOString(),
    })),
    nextCursor: rows.length > PAGE_SIZE ? (page.at(-1)?.id ?? null) : null,
  };
}
