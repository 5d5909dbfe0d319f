// GET /api/apps/:appId/usage – this period's usage (same body as GET /v1/usage)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { withAppAccess } from "@/lib/http/with-app-access";
import { getAppUsage } from "@/lib/usage/get-app-usage";
import { getLiveUsageSource } from "@/lib/usage/live-usage";

export const dynamic = "force-dynamic";

export const GET = withAppAccess<{ appId: string }>(async ({ access: { appId } }) => {
  return NextResponse.json(await getAppUsage(getDb(), { appId, live: getLiveUsageSource() }));
}, { permissions: ["usage.read"] });
