// POST /api/apps/:appId/webhooks/:endpointId/deliveries/:deliveryId/resend – send a settled delivery's event to its endpoint again
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { withSession } from "@/lib/http/with-session";
import { resendWebhookDelivery } from "@/lib/notifications/webhook-endpoints";
import { requireAppAccess } from "@/lib/tenancy/require-app-access";

export const dynamic = "force-dynamic";

export const POST = withSession<{ appId: string; endpointId: string; deliveryId: string }>(async ({ user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, viewingTenantId: user.viewingTenantId, appId: params.appId });
  return NextResponse.json(await resendWebhookDelivery(getDb(), { appId, endpointId: params.endpointId, deliveryId: params.deliveryId }), { status: 202 });
});
