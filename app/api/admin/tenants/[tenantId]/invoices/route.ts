// GET /api/admin/tenants/:tenantId/invoices – the team's issued invoices and credit notes, newest first (platform admins)
import { NextResponse } from "next/server";
import { listInvoices } from "@/lib/billing/get-invoice";
import { getDb } from "@/lib/db";
import { withSession } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export const GET = withSession<{ tenantId: string }>(async ({ params }) => NextResponse.json({ invoices: await listInvoices(getDb(), { tenantId: params.tenantId }) }), { requireAdmin: true });
