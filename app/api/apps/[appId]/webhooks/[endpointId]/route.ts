// DELETE /api/apps/:appId/webhooks/:endpointId – remove a webhook endpoint (its pending deliveries go with it)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { withSession } from "@/lib/http/with-session";
import { deleteWebhookEndpoint } from "@/lib/notifications/webhook-endpoints";
import { requireAppAccess } from "@/lib/tenancy/require-app-access";

export const dynamic = "force-dynamic";

export const DELETE = withSession<{ appId: string; endpointId: string }>(async ({ user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, appId: params.appId });
  await deleteWebhookEndpoint(getDb(), { actor: actorOf(user), appId, endpointId: params.endpointId });
  return NextResponse.json({ deleted: true });
});
