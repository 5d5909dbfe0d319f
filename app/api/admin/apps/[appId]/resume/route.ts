// POST /api/admin/apps/:appId/resume – lift a suspension (platform admins)
import { NextResponse } from "next/server";
import { getApp } from "@/lib/apps/get-app";
import { setAppStatus } from "@/lib/apps/update-app";
import { getDb } from "@/lib/db";
import { getServerEnv } from "@/lib/env";
import { actorOf } from "@/lib/http/actor";
import { withSession } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export const POST = withSession<{ appId: string }>(
  async ({ user, params }) => {
    await setAppStatus(getDb(), { actor: actorOf(user), appId: params.appId, status: "active" });
    return NextResponse.json({ app: await getApp(getDb(), { appId: params.appId, relayUrl: getServerEnv().RELAY_PUBLIC_URL, includeDeleted: true }) });
  },
  { requireAdmin: true },
);
