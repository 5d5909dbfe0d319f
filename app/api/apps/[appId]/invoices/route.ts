// GET /api/apps/:appId/invoices – one invoice per billing period, newest first, with lines and totals
import { NextResponse } from "next/server";
import { listInvoices } from "@/lib/billing/get-invoice";
import { getDb } from "@/lib/db";
import { withSession } from "@/lib/http/with-session";
import { requireAppAccess } from "@/lib/tenancy/require-app-access";

export const dynamic = "force-dynamic";

export const GET = withSession<{ appId: string }>(async ({ user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, appId: params.appId });
  return NextResponse.json({ invoices: await listInvoices(getDb(), { appId }) });
});
