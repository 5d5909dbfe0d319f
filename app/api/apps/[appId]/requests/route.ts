// GET /api/apps/:appId/requests – the app's most recent /v1 requests (the last day, newest first)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { withAppAccess } from "@/lib/http/with-app-access";
import { listRecentRequests } from "@/lib/v1/request-log";

export const dynamic = "force-dynamic";

export const GET = withAppAccess<{ appId: string }>(async ({ access: { appId } }) => {
  return NextResponse.json(await listRecentRequests(getDb(), { appId }));
}, { permissions: ["usage.read"] });
