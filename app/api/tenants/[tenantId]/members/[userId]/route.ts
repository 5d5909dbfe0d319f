// PATCH /api/tenants/:tenantId/members/:userId – change a member's role (owners; the team keeps an owner)
// DELETE /api/tenants/:tenantId/members/:userId – remove a member (owners; not the last owner)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { readJson } from "@/lib/http/with-session";
import { withTenantAccess } from "@/lib/http/with-tenant-access";
import { changeMemberRole, removeMember } from "@/lib/teams/members";
import { changeRoleSchema } from "@/lib/teams/team.types";

export const dynamic = "force-dynamic";

type Params = { tenantId: string; userId: string };

export const PATCH = withTenantAccess<Params>(
  async ({ req, user, params, access }) => {
    const { role } = changeRoleSchema.parse(await readJson(req));
    await changeMemberRole(getDb(), { actor: actorOf(user), tenantId: access.tenantId, userId: params.userId, role });
    return NextResponse.json({ userId: params.userId, role });
  },
  { permissions: ["members.manage"] },
);

export const DELETE = withTenantAccess<Params>(
  async ({ user, params, access }) => {
    await removeMember(getDb(), { actor: actorOf(user), tenantId: access.tenantId, userId: params.userId });
    return NextResponse.json({ userId: params.userId, removed: true });
  },
  { permissions: ["members.manage"] },
);
