// GET /api/admin/audit?targetType=&targetId=&cursor= – the audit log, newest first (platform admins)
import { NextResponse } from "next/server";
import { listAuditLog } from "@/lib/audit/list-audit-log";
import { listAuditLogQuerySchema } from "@/lib/audit/list-audit-log.types";
import { getDb } from "@/lib/db";
import { withSession } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export const GET = withSession(
  async ({ req }) => {
    const search = req.nextUrl.searchParams;
    const query = listAuditLogQuerySchema.parse({
      targetType: search.get("targetType") ?? undefined,
      targetId: search.get("targetId") ?? undefined,
      cursor: search.get("cursor") ?? undefined,
    });
    return NextResponse.json(await listAuditLog(getDb(), query));
  },
  { requireAdmin: true },
);
