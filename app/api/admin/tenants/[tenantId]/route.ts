// GET /api/admin/tenants/:tenantId – a tenant's members, apps (deleted ones too), balance and app limit (platform admins)
// PATCH /api/admin/tenants/:tenantId – set the tenant's app limit, null for the default (platform admins)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { getServerEnv } from "@/lib/env";
import { actorOf } from "@/lib/http/actor";
import { readJson, withSession } from "@/lib/http/with-session";
import { getTenantForAdmin, setTenantAppLimit } from "@/lib/tenants/admin-tenant";
import { setTenantAppLimitSchema } from "@/lib/tenants/tenant.types";

export const dynamic = "force-dynamic";

type Params = { tenantId: string };

export const GET = withSession<Params>(
  async ({ params }) => NextResponse.json({ tenant: await getTenantForAdmin(getDb(), { tenantId: params.tenantId, relayUrl: getServerEnv().RELAY_PUBLIC_URL }) }),
  { requireAdmin: true },
);

export const PATCH = withSession<Params>(
  async ({ req, user, params }) => {
    const { maxApps } = setTenantAppLimitSchema.parse(await readJson(req));
    return NextResponse.json(await setTenantAppLimit(getDb(), { actor: actorOf(user), tenantId: params.tenantId, maxApps }));
  },
  { requireAdmin: true },
);
