// GET /api/apps/:appId/usage/series?range=hour|day|period – chart points and outcomes
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { withAppAccess } from "@/lib/http/with-app-access";
import { getUsageSeries } from "@/lib/usage/get-usage-series";
import { usageSeriesQuerySchema } from "@/lib/usage/usage.types";

export const dynamic = "force-dynamic";

export const GET = withAppAccess<{ appId: string }>(async ({ req, access: { appId } }) => {
  const { range } = usageSeriesQuerySchema.parse({ range: req.nextUrl.searchParams.get("range") ?? undefined });
  return NextResponse.json(await getUsageSeries(getDb(), { appId, range }));
}, { permissions: ["usage.read"] });
