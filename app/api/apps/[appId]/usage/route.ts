// GET /api/apps/:appId/usage – this period's usage (same body as GET /v1/usage)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { withAppAccess } from "@/lib/http/with-app-access";
import { getRelayClient } from "@/lib/relay/get-relay-client";
import { getAppUsage } from "@/lib/usage/get-app-usage";

export const dynamic = "force-dynamic";

export const GET = withAppAccess<{ appId: string }>(async ({ access: { appId } }) => {
  return NextResponse.json(await getAppUsage(getDb(), { appId, relay: getRelayClient() }));
}, { permissions: ["usage.read"] });
