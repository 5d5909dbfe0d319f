// POST /api/admin/tenants/:tenantId/view-as – see the dashboard as this tenant's owners do, read-only, until stopped (platform admins; audited)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { withSession } from "@/lib/http/with-session";
import { startViewingAs } from "@/lib/tenancy/view-as";

export const dynamic = "force-dynamic";

export const POST = withSession<{ tenantId: string }>(
  async ({ user, params }) => NextResponse.json({ viewingAs: await startViewingAs(getDb(), { actor: { id: user.id, email: user.email }, tenantId: params.tenantId }) }),
  { requireAdmin: true },
);
