// GET /api/tenants/:tenantId/billing-details – the name, address, tax id and email invoices are issued to
// PUT  the same, owners only; printed on invoices issued afterwards (issued ones keep what they were issued with)
import { NextResponse } from "next/server";
import { getBillingDetails, updateBillingDetails } from "@/lib/billing/invoice-parties";
import { billingDetailsSchema } from "@/lib/billing/invoice-parties.types";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { readJson } from "@/lib/http/with-session";
import { withTenantAccess } from "@/lib/http/with-tenant-access";

export const dynamic = "force-dynamic";

export const GET = withTenantAccess<{ tenantId: string }>(
  async ({ access: { tenantId } }) => NextResponse.json({ billingDetails: await getBillingDetails(getDb(), tenantId) }),
  { permissions: ["billing.read"] },
);

export const PUT = withTenantAccess<{ tenantId: string }>(
  async ({ req, user, access: { tenantId } }) => {
    const details = billingDetailsSchema.parse(await readJson(req));
    return NextResponse.json({ billingDetails: await updateBillingDetails(getDb(), { actor: actorOf(user), tenantId, details }) });
  },
  { permissions: ["billing.manage"] },
);
