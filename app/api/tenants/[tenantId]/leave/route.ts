// POST /api/tenants/:tenantId/leave – leave a team (any member; the last owner must transfer first)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { withTenantAccess } from "@/lib/http/with-tenant-access";
import { leaveTenant } from "@/lib/teams/members";

export const dynamic = "force-dynamic";

export const POST = withTenantAccess<{ tenantId: string }>(
  async ({ user, access }) => {
    await leaveTenant(getDb(), { actor: { ...actorOf(user), id: user.id }, tenantId: access.tenantId });
    return NextResponse.json({ tenantId: access.tenantId, left: true });
  },
  { permissions: [] },
);
