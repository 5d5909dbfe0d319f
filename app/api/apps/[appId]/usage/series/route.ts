// GET /api/apps/:appId/usage/series?range=hour|day|period – chart points and outcomes
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { withSession } from "@/lib/http/with-session";
import { requireAppAccess } from "@/lib/tenancy/require-app-access";
import { getUsageSeries } from "@/lib/usage/get-usage-series";
import { usageSeriesQuerySchema } from "@/lib/usage/usage.types";

export const dynamic = "force-dynamic";

export const GET = withSession<{ appId: string }>(async ({ req, user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, appId: params.appId });
  const { range } = usageSeriesQuerySchema.parse({ range: req.nextUrl.searchParams.get("range") ?? undefined });
  return NextResponse.json(await getUsageSeries(getDb(), { appId, range }));
});
