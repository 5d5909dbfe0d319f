// DELETE /api/tenants/:tenantId/invitations/:invitationId – revoke a pending invitation (owners)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { withTenantAccess } from "@/lib/http/with-tenant-access";
import { revokeInvitation } from "@/lib/teams/invitations";

export const dynamic = "force-dynamic";

export const DELETE = withTenantAccess<{ tenantId: string; invitationId: string }>(
  async ({ user, params, access }) => {
    await revokeInvitation(getDb(), { actor: actorOf(user), tenantId: access.tenantId, invitationId: params.invitationId });
    return NextResponse.json({ id: params.invitationId, revoked: true });
  },
  { permissions: ["members.manage"] },
);
