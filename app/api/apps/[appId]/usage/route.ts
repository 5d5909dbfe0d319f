// GET /api/apps/:appId/usage – this period's usage (same body as GET /v1/usage)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { withSession } from "@/lib/http/with-session";
import { getRelayClient } from "@/lib/relay/get-relay-client";
import { requireAppAccess } from "@/lib/tenancy/require-app-access";
import { getAppUsage } from "@/lib/usage/get-app-usage";

export const dynamic = "force-dynamic";

export const GET = withSession<{ appId: string }>(async ({ user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, appId: params.appId });
  return NextResponse.json(await getAppUsage(getDb(), { appId, relay: getRelayClient() }));
});
