// GET /api/apps – apps of every tenant the user belongs to
// POST /api/apps – create an app in one of the user's tenants
import { NextResponse } from "next/server";
import { createAppSchema } from "@/lib/apps/app.types";
import { createApp } from "@/lib/apps/create-app";
import { getApp, listAppsOfUser } from "@/lib/apps/get-app";
import { getDb } from "@/lib/db";
import { getServerEnv } from "@/lib/env";
import { actorOf } from "@/lib/http/actor";
import { readJson, withSession } from "@/lib/http/with-session";
import { requireTenantMembership } from "@/lib/tenancy/require-app-access";

export const dynamic = "force-dynamic";

export const GET = withSession(async ({ user }) =>
  NextResponse.json(await listAppsOfUser(getDb(), { userId: user.id, relayUrl: getServerEnv().RELAY_PUBLIC_URL })),
);

export const POST = withSession(async ({ req, user }) => {
  const body = createAppSchema.parse(await readJson(req));
  const db = getDb();
  const tenantId = await requireTenantMembership(db, { userId: user.id, tenantId: body.tenantId });
  const created = await createApp(db, { tenantId, name: body.name, planSlug: body.planSlug, actor: actorOf(user), allowHiddenPlans: user.isPlatformAdmin, refusePaidPlans: !user.isPlatformAdmin });
  return NextResponse.json({ app: await getApp(db, { appId: created.id, relayUrl: getServerEnv().RELAY_PUBLIC_URL }) }, { status: 201 });
});
