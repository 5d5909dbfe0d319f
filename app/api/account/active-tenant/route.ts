// PUT /api/account/active-tenant – switch the team the dashboard shows
import { NextResponse } from "next/server";
import { setActiveTenantSchema } from "@/lib/account/account.types";
import { getDb } from "@/lib/db";
import { readJson, withSession } from "@/lib/http/with-session";
import { setActiveTenant } from "@/lib/teams/members";

export const dynamic = "force-dynamic";

export const PUT = withSession(async ({ req, user }) => {
  const { tenantId } = setActiveTenantSchema.parse(await readJson(req));
  await setActiveTenant(getDb(), { userId: user.id, tenantId });
  return NextResponse.json({ activeTenantId: tenantId });
});
