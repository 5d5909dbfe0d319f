// PATCH|DELETE /api/apps/:appId/webhooks/:endpointId – choose the event types an endpoint receives; remove it (its pending deliveries go with it)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { readJson, withSession } from "@/lib/http/with-session";
import { deleteWebhookEndpoint, updateWebhookEndpoint } from "@/lib/notifications/webhook-endpoints";
import { updateWebhookEndpointSchema } from "@/lib/notifications/webhook.types";
import { requireAppAccess } from "@/lib/tenancy/require-app-access";

export const dynamic = "force-dynamic";

export const DELETE = withSession<{ appId: string; endpointId: string }>(async ({ user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, viewingTenantId: user.viewingTenantId, appId: params.appId });
  await deleteWebhookEndpoint(getDb(), { actor: actorOf(user), appId, endpointId: params.endpointId });
  return NextResponse.json({ deleted: true });
});

export const PATCH = withSession<{ appId: string; endpointId: string }>(async ({ req, user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, viewingTenantId: user.viewingTenantId, appId: params.appId });
  const changes = updateWebhookEndpointSchema.parse(await readJson(req));
  return NextResponse.json({ endpoint: await updateWebhookEndpoint(getDb(), { actor: actorOf(user), appId, endpointId: params.endpointId, changes }) });
});
