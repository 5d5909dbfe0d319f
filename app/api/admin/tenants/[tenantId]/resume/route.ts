// POST /api/admin/tenants/:tenantId/resume – resume every suspended app of a tenant (platform admins)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { withSession } from "@/lib/http/with-session";
import { setTenantAppsStatus } from "@/lib/tenants/admin-tenant";

export const dynamic = "force-dynamic";

export const POST = withSession<{ tenantId: string }>(
  async ({ user, params }) => NextResponse.json(await setTenantAppsStatus(getDb(), { actor: actorOf(user), tenantId: params.tenantId, status: "active" })),
  { requireAdmin: true },
);
