// POST /api/admin/tenants/:tenantId/suspend – suspend every app of a tenant: relays close their connections with 4012 (platform admins)
import { NextResponse } from "next/server";
import { suspendAppSchema } from "@/lib/apps/app.types";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { readOptionalJson, withSession } from "@/lib/http/with-session";
import { setTenantAppsStatus } from "@/lib/tenants/admin-tenant";

export const dynamic = "force-dynamic";

export const POST = withSession<{ tenantId: string }>(
  async ({ req, user, params }) => {
    const { reason } = suspendAppSchema.parse(await readOptionalJson(req));
    return NextResponse.json(await setTenantAppsStatus(getDb(), { actor: actorOf(user), tenantId: params.tenantId, status: "suspended", reason }));
  },
  { requireAdmin: true },
);
