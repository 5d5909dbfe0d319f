// Wraps an app-scoped route (/api/apps/:appId/…): the signed-in user must belong to the app's tenant
// (else 404) and their role must hold the route's permissions (else 403), per lib/tenancy/permissions.ts.
// Everything withSession does (sign-in, error mapping) applies too.
import type { NextRequest } from "next/server";
import type { SessionUser } from "@/lib/auth/authenticate";
import { getDb } from "@/lib/db";
import type { Permission } from "@/lib/tenancy/permissions";
import { type AppAccess, requireAppAccess } from "@/lib/tenancy/require-app-access";
import { withSession } from "./with-session";

type AppHandler<Params> = (args: { req: NextRequest; user: SessionUser; params: Params; access: AppAccess }) => Promise<Response>;

export function withAppAccess<Params extends { appId: string }>(handler: AppHandler<Params>, options: { permissions: Permission[] }) {
  return withSession<Params>(async ({ req, user, params }) => {
    const access = await requireAppAccess(getDb(), { userId: user.id, viewingTenantId: user.viewingTenantId, appId: params.appId, permissions: options.permissions });
    return handler({ req, user, params, access });
  });
}
