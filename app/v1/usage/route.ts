// GET /v1/usage – this billing period's usage of the app: with a secret key (servers), or with a
// connection token claiming `usage` (browsers, CORS; PROTOCOL §8)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { usageTokenPreflight, withApiKeyOrUsageToken } from "@/lib/http/with-api-key";
import { toBrowserUsage } from "@/lib/usage/browser-usage";
import { getAppUsage } from "@/lib/usage/get-app-usage";
import { getLiveUsageSource } from "@/lib/usage/live-usage";

export const dynamic = "force-dynamic";

const usageOf = (appId: string) => getAppUsage(getDb(), { appId, live: getLiveUsageSource() });

export const GET = withApiKeyOrUsageToken({
  secretKey: async ({ key }) => NextResponse.json(await usageOf(key.appId)),
  usageToken: async ({ key }) => NextResponse.json(toBrowserUsage(await usageOf(key.appId), key.tenantId)),
});

export const OPTIONS = usageTokenPreflight;
