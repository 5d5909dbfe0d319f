// Wraps a tenant-scoped route (/api/tenants/:tenantId/…): the signed-in user must be a member (else 404)
// whose role holds the route's permissions (else 403), per lib/tenancy/permissions.ts.
import type { NextRequest } from "next/server";
import type { SessionUser } from "@/lib/auth/authenticate";
import { getDb } from "@/lib/db";
import type { Permission } from "@/lib/tenancy/permissions";
import { requireTenantAccess, type TenantAccess } from "@/lib/tenancy/require-app-access";
import { withSession } from "./with-session";

type TenantHandler<Params> = (args: { req: NextRequest; user: SessionUser; params: Params; access: TenantAccess }) => Promise<Response>;

export function withTenantAccess<Params extends { tenantId: string }>(handler: TenantHandler<Params>, options: { permissions: Permission[] }) {
  return withSession<Params>(async ({ req, user, params }) => {
    const access = await requireTenantAccess(getDb(), { userId: user.id, viewingTenantId: user.viewingTenantId, tenantId: params.tenantId, permissions: options.permissions });
    return handler({ req, user, params, access });
  });
}
