// POST /api/apps/:appId/webhooks/:endpointId/test – queue a signed `webhook.test` event for this endpoint
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { withSession } from "@/lib/http/with-session";
import { sendTestWebhookEvent } from "@/lib/notifications/webhook-endpoints";
import { requireAppAccess } from "@/lib/tenancy/require-app-access";

export const dynamic = "force-dynamic";

export const POST = withSession<{ appId: string; endpointId: string }>(async ({ user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, viewingTenantId: user.viewingTenantId, appId: params.appId });
  return NextResponse.json(await sendTestWebhookEvent(getDb(), { appId, endpointId: params.endpointId }), { status: 202 });
});
