// PUT /api/admin/apps/:appId/override – set per-app limit overrides (platform admins)
// DELETE /api/admin/apps/:appId/override – back to the plan's limits (platform admins)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { readJson, withSession } from "@/lib/http/with-session";
import { overrideSchema } from "@/lib/plans/plan.types";
import { clearAppOverride, setAppOverride } from "@/lib/plans/set-app-override";

export const dynamic = "force-dynamic";

type Params = { appId: string };

export const PUT = withSession<Params>(
  async ({ req, user, params }) => {
    const changes = overrideSchema.parse(await readJson(req));
    return NextResponse.json(await setAppOverride(getDb(), { actor: actorOf(user), appId: params.appId, changes }));
  },
  { requireAdmin: true },
);

export const DELETE = withSession<Params>(
  async ({ user, params }) => NextResponse.json(await clearAppOverride(getDb(), { actor: actorOf(user), appId: params.appId })),
  { requireAdmin: true },
);
