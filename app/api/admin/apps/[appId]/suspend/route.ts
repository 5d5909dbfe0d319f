// POST /api/admin/apps/:appId/suspend – suspend an app: relays close its connections with 4012 (platform admins)
import { NextResponse } from "next/server";
import { suspendAppSchema } from "@/lib/apps/app.types";
import { getApp } from "@/lib/apps/get-app";
import { setAppStatus } from "@/lib/apps/update-app";
import { getDb } from "@/lib/db";
import { getServerEnv } from "@/lib/env";
import { actorOf } from "@/lib/http/actor";
import { readOptionalJson, withSession } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export const POST = withSession<{ appId: string }>(
  async ({ req, user, params }) => {
    const { reason } = suspendAppSchema.parse(await readOptionalJson(req));
    await setAppStatus(getDb(), { actor: actorOf(user), appId: params.appId, status: "suspended", reason });
    return NextResponse.json({ app: await getApp(getDb(), { appId: params.appId, relayUrl: getServerEnv().RELAY_PUBLIC_URL, includeDeleted: true }) });
  },
  { requireAdmin: true },
);
