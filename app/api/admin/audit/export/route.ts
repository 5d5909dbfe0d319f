// GET /api/admin/audit/export?… – the filtered audit log as a CSV download (same filters as /api/admin/audit; platform admins)
import { exportAuditLogCsv } from "@/lib/audit/list-audit-log";
import { listAuditLogQuerySchema } from "@/lib/audit/list-audit-log.types";
import { getDb } from "@/lib/db";
import { withSession } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export const GET = withSession(
  async ({ req }) => {
    const { cursor: _ignored, ...query } = listAuditLogQuerySchema.parse(Object.fromEntries(req.nextUrl.searchParams));
    const csv = await exportAuditLogCsv(getDb(), query);
    const day = new Date().toISOString().slice(0, 10);
    return new Response(csv, {
      headers: { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": `attachment; filename="tollgate-audit-${day}.csv"`, "Cache-Control": "no-store" },
    });
  },
  { requireAdmin: true },
);
