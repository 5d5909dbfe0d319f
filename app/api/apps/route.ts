// GET /api/apps?tenantId= – apps of every tenant the user belongs to (or of one), with those tenants and the user's roles
// POST /api/apps – create an app in one of the user's tenants (owners); a paid plan's first fee is paid from the team's wallet at once
import { NextResponse } from "next/server";
import { z } from "zod";
import { text } from "@/lib/validation/text";
import { createAppSchema } from "@/lib/apps/app.types";
import { createApp } from "@/lib/apps/create-app";
import { getPaymentProvider } from "@/lib/billing/payment-provider";
import { getApp, listAppsOfUser } from "@/lib/apps/get-app";
import { getDb } from "@/lib/db";
import { getServerEnv } from "@/lib/env";
import { actorOf } from "@/lib/http/actor";
import { readJson, withSession } from "@/lib/http/with-session";
import { requireTenantMembership } from "@/lib/tenancy/require-app-access";

export const dynamic = "force-dynamic";

const listAppsQuerySchema = z.object({ tenantId: text().trim().min(1).max(100).optional() });

export const GET = withSession(async ({ req, user }) => {
  const { tenantId } = listAppsQuerySchema.parse({ tenantId: req.nextUrl.searchParams.get("tenantId") ?? undefined });
  return NextResponse.json(await listAppsOfUser(getDb(), { userId: user.id, viewingTenantId: user.viewingTenantId, relayUrl: getServerEnv().RELAY_PUBLIC_URL, tenantId }));
});

export const POST = withSession(async ({ req, user }) => {
  const body = createAppSchema.parse(await readJson(req));
  const db = getDb();
  const tenantId = await requireTenantMembership(db, { userId: user.id, tenantId: body.tenantId, permissions: ["app.create"] });
  // A customer's paid plan is paid at once from the team's wallet (402 when neither balance nor card can); an admin's is waived.
  const created = await createApp(db, {
    tenantId,
    name: body.name,
    planSlug: body.planSlug,
    actor: actorOf(user),
    allowHiddenPlans: user.isPlatformAdmin,
    payFirstPeriodWith: user.isPlatformAdmin ? undefined : getPaymentProvider(),
  });
  return NextResponse.json({ app: await getApp(db, { appId: created.id, relayUrl: getServerEnv().RELAY_PUBLIC_URL }) }, { status: 201 });
});
