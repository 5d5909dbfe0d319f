// GET /api/apps/:appId/billing/ledger – the ledger grouped per day and kind, 14 days a page (?page=); ?format=csv: every entry
import { NextResponse } from "next/server";
import { attachment, ledgerQuerySchema } from "@/lib/billing/billing.types";
import { ledgerCsv, listLedgerDays } from "@/lib/billing/list-ledger";
import { getDb } from "@/lib/db";
import { withSession } from "@/lib/http/with-session";
import { requireAppAccess } from "@/lib/tenancy/require-app-access";

export const dynamic = "force-dynamic";

export const GET = withSession<{ appId: string }>(async ({ req, user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, viewingTenantId: user.viewingTenantId, appId: params.appId });
  const query = ledgerQuerySchema.parse(Object.fromEntries(req.nextUrl.searchParams));
  if (query.format === "csv") return attachment(await ledgerCsv(getDb(), { appId }), { contentType: "text/csv; charset=utf-8", filename: `ledger-${appId}.csv` });
  return NextResponse.json(await listLedgerDays(getDb(), { appId, page: query.page }));
});
