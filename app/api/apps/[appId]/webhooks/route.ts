// GET|POST /api/apps/:appId/webhooks – list the app's webhook endpoints, add one (its signing secret is returned once)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { getServerEnv } from "@/lib/env";
import { actorOf } from "@/lib/http/actor";
import { readJson, withSession } from "@/lib/http/with-session";
import { createWebhookEndpoint, listWebhookEndpoints } from "@/lib/notifications/webhook-endpoints";
import { createWebhookEndpointSchema } from "@/lib/notifications/webhook.types";
import { requireAppAccess } from "@/lib/tenancy/require-app-access";

export const dynamic = "force-dynamic";

export const GET = withSession<{ appId: string }>(async ({ user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, viewingTenantId: user.viewingTenantId, appId: params.appId });
  return NextResponse.json({ endpoints: await listWebhookEndpoints(getDb(), { appId }) });
});

export const POST = withSession<{ appId: string }>(async ({ req, user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, viewingTenantId: user.viewingTenantId, appId: params.appId });
  const endpoint = createWebhookEndpointSchema.parse(await readJson(req));
  const env = getServerEnv();
  const created = await createWebhookEndpoint(getDb(), {
    actor: actorOf(user),
    appId,
    endpoint,
    encryptionKey: env.KEY_ENCRYPTION_KEY,
    allowedTargets: env.WEBHOOK_ALLOWED_TARGETS,
  });
  return NextResponse.json(created, { status: 201 });
});
