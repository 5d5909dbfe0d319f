// GET /api/admin/tenants/:tenantId – a tenant's members, apps (deleted ones too) and balance (platform admins)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { getServerEnv } from "@/lib/env";
import { withSession } from "@/lib/http/with-session";
import { getTenantForAdmin } from "@/lib/tenants/admin-tenant";

export const dynamic = "force-dynamic";

export const GET = withSession<{ tenantId: string }>(
  async ({ params }) => NextResponse.json({ tenant: await getTenantForAdmin(getDb(), { tenantId: params.tenantId, relayUrl: getServerEnv().RELAY_PUBLIC_URL }) }),
  { requireAdmin: true },
);
