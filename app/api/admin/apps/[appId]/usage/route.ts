// GET /api/admin/apps/:appId/usage – an app's live usage this period, for the admin app page (platform admins)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { withSession } from "@/lib/http/with-session";
import { getRelayClient } from "@/lib/relay/get-relay-client";
import { getAppUsage } from "@/lib/usage/get-app-usage";

export const dynamic = "force-dynamic";

export const GET = withSession<{ appId: string }>(
  async ({ params }) => NextResponse.json(await getAppUsage(getDb(), { appId: params.appId, relay: getRelayClient() })),
  { requireAdmin: true },
);
