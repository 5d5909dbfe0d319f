// POST /api/tenants/:tenantId/transfer – make another member the owner; the caller becomes a member (owners)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { readJson } from "@/lib/http/with-session";
import { withTenantAccess } from "@/lib/http/with-tenant-access";
import { transferOwnership } from "@/lib/teams/members";
import { transferOwnershipSchema } from "@/lib/teams/team.types";

export const dynamic = "force-dynamic";

export const POST = withTenantAccess<{ tenantId: string }>(
  async ({ req, user, access }) => {
    const { userId } = transferOwnershipSchema.parse(await readJson(req));
    await transferOwnership(getDb(), { actor: { ...actorOf(user), id: user.id }, tenantId: access.tenantId, userId });
    return NextResponse.json({ tenantId: access.tenantId, ownerId: userId });
  },
  { permissions: ["tenant.transfer"] },
);
