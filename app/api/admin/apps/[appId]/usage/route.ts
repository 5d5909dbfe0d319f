// GET /api/admin/apps/:appId/usage – an app's live usage this period, for the admin app page (platform admins)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { withSession } from "@/lib/http/with-session";
import { getAppUsage } from "@/lib/usage/get-app-usage";
import { getLiveUsageSource } from "@/lib/usage/live-usage";

export const dynamic = "force-dynamic";

export const GET = withSession<{ appId: string }>(
  async ({ params }) => NextResponse.json(await getAppUsage(getDb(), { appId: params.appId, live: getLiveUsageSource() })),
  { requireAdmin: true },
);
