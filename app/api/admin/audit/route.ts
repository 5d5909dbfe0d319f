// GET /api/admin/audit?actor=&action=&targetType=&targetId=&appId=&from=&to=&cursor= – the audit log, newest first (platform admins)
import { NextResponse } from "next/server";
import { listAuditLog } from "@/lib/audit/list-audit-log";
import { listAuditLogQuerySchema } from "@/lib/audit/list-audit-log.types";
import { getDb } from "@/lib/db";
import { withSession } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export const GET = withSession(
  async ({ req }) => NextResponse.json(await listAuditLog(getDb(), listAuditLogQuerySchema.parse(Object.fromEntries(req.nextUrl.searchParams)))),
  { requireAdmin: true },
);
