// GET /api/tenants/:tenantId – the team: members with roles, pending invitations (for owners), the caller's permissions
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { withTenantAccess } from "@/lib/http/with-tenant-access";
import { getTeam } from "@/lib/teams/members";

export const dynamic = "force-dynamic";

export const GET = withTenantAccess<{ tenantId: string }>(async ({ access }) => NextResponse.json(await getTeam(getDb(), access)), { permissions: ["members.read"] });
