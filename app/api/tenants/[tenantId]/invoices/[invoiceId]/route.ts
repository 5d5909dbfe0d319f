// GET /api/tenants/:tenantId/invoices/:invoiceId – one invoice ("upcoming": the next one so far);
// ?format=csv download, ?format=html printable page, ?format=pdf the PDF
import { NextResponse } from "next/server";
import { attachment, documentFormatSchema } from "@/lib/billing/billing.types";
import { getInvoice } from "@/lib/billing/get-invoice";
import { invoiceCsv, invoiceHtml } from "@/lib/billing/invoice-documents";
import { invoicePdf } from "@/lib/billing/invoice-pdf";
import { getDb } from "@/lib/db";
import { newScriptNonce } from "@/lib/http/content-security-policy";
import { withTenantAccess } from "@/lib/http/with-tenant-access";

export const dynamic = "force-dynamic";

export const GET = withTenantAccess<{ tenantId: string; invoiceId: string }>(
  async ({ req, params, access: { tenantId } }) => {
    const { format } = documentFormatSchema.parse(Object.fromEntries(req.nextUrl.searchParams));
    const invoice = await getInvoice(getDb(), { tenantId, invoiceId: params.invoiceId });
    const filename = invoice.number ?? "upcoming-invoice";
    if (format === "csv") return attachment(invoiceCsv(invoice), { contentType: "text/csv; charset=utf-8", filename: `${filename}.csv` });
    if (format === "pdf") return attachment(await invoicePdf(invoice), { contentType: "application/pdf", filename: `${filename}.pdf` });
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
  },
  { permissions: ["billing.read"] },
);
