// POST /api/admin/invoices/:invoiceId/void – void an issued invoice with a reason; its month is issued again under a new number (platform admins; audited)
import { NextResponse } from "next/server";
import { z } from "zod";
import { voidInvoice } from "@/lib/billing/issue-invoices";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { readJson, withSession } from "@/lib/http/with-session";
import { text } from "@/lib/validation/text";

export const dynamic = "force-dynamic";

const voidInvoiceSchema = z.object({ reason: text().trim().min(3, "Give the reason: it is printed on the void invoice").max(500) }).strict();

export const POST = withSession<{ invoiceId: string }>(
  async ({ req, user, params }) => {
    const { reason } = voidInvoiceSchema.parse(await readJson(req));
    await voidInvoice(getDb(), { actor: actorOf(user), invoiceId: params.invoiceId, reason });
    return NextResponse.json({ voided: params.invoiceId });
  },
  { requireAdmin: true },
);
