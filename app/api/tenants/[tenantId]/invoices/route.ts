// GET /api/tenants/:tenantId/invoices – the team's upcoming invoice and its issued invoices and credit notes, newest first
import { NextResponse } from "next/server";
import { getUpcomingInvoice, listInvoices } from "@/lib/billing/get-invoice";
import { getDb } from "@/lib/db";
import { withTenantAccess } from "@/lib/http/with-tenant-access";

export const dynamic = "force-dynamic";

export const GET = withTenantAccess<{ tenantId: string }>(
  async ({ access: { tenantId } }) =>
    NextResponse.json({ upcoming: await getUpcomingInvoice(getDb(), { tenantId }), invoices: await listInvoices(getDb(), { tenantId }) }),
  { permissions: ["billing.read"] },
);
