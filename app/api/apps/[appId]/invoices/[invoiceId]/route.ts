// GET /api/apps/:appId/invoices/:invoiceId – one invoice (?format=csv download, ?format=html printable page)
import { NextResponse } from "next/server";
import { attachment, documentFormatSchema } from "@/lib/billing/billing.types";
import { getInvoice } from "@/lib/billing/get-invoice";
import { invoiceCsv, invoiceHtml } from "@/lib/billing/invoice-documents";
import { getDb } from "@/lib/db";
import { newScriptNonce } from "@/lib/http/content-security-policy";
import { withSession } from "@/lib/http/with-session";
import { requireAppAccess } from "@/lib/tenancy/require-app-access";

export const dynamic = "force-dynamic";

export const GET = withSession<{ appId: string; invoiceId: string }>(async ({ req, user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, appId: params.appId });
  const { format } = documentFormatSchema.parse(Object.fromEntries(req.nextUrl.searchParams));
  const invoice = await getInvoice(getDb(), { appId, invoiceId: params.invoiceId });
  if (format === "csv") return attachment(invoiceCsv(invoice), { contentType: "text/csv; charset=utf-8", filename: `${invoice.id}.csv` });
  if (format === "html") {
    const nonce = newScriptNonce();
    return new Response(invoiceHtml(invoice, nonce), {
      headers: {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        "content-security-policy": `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; frame-ancestors 'none'`,
      },
    });
  }
  return NextResponse.json({ invoice });
});
