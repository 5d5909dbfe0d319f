// GET /v1/usage – this billing period's usage of the key's app
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { withApiKey } from "@/lib/http/with-api-key";
import { getAppUsage } from "@/lib/usage/get-app-usage";
import { getLiveUsageSource } from "@/lib/usage/live-usage";

export const dynamic = "force-dynamic";

export const GET = withApiKey(async ({ key }) => NextResponse.json(await getAppUsage(getDb(), { appId: key.appId, live: getLiveUsageSource() })));
