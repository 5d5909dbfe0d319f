// GET /api/apps/:appId/webhooks/:endpointId/deliveries – the endpoint's delivery log (latest 50, with every try's response code)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { withSession } from "@/lib/http/with-session";
import { listWebhookDeliveries } from "@/lib/notifications/webhook-endpoints";
import { requireAppAccess } from "@/lib/tenancy/require-app-access";

export const dynamic = "force-dynamic";

export const GET = withSession<{ appId: string; endpointId: string }>(async ({ user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, viewingTenantId: user.viewingTenantId, appId: params.appId });
  return NextResponse.json({ deliveries: await listWebhookDeliveries(getDb(), { appId, endpointId: params.endpointId }) });
});
