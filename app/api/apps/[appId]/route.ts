// GET /api/apps/:appId – one app with its effective limits
// PATCH /api/apps/:appId – rename, change plan, toggle overages
// DELETE /api/apps/:appId – delete an app with its keys, billing and usage
import { NextResponse } from "next/server";
import { updateAppSchema } from "@/lib/apps/app.types";
import { getApp } from "@/lib/apps/get-app";
import { deleteApp, updateApp } from "@/lib/apps/update-app";
import { getDb } from "@/lib/db";
import { getServerEnv } from "@/lib/env";
import { actorOf } from "@/lib/http/actor";
import { readJson, withSession } from "@/lib/http/with-session";
import { requireAppAccess } from "@/lib/tenancy/require-app-access";

export const dynamic = "force-dynamic";

type Params = { appId: string };

export const GET = withSession<Params>(async ({ user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, appId: params.appId });
  return NextResponse.json({ app: await getApp(getDb(), { appId, relayUrl: getServerEnv().RELAY_PUBLIC_URL }) });
});

export const PATCH = withSession<Params>(async ({ req, user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, appId: params.appId });
  const changes = updateAppSchema.parse(await readJson(req));
  await updateApp(getDb(), { actor: actorOf(user), appId, changes, allowHiddenPlans: user.isPlatformAdmin });
  return NextResponse.json({ app: await getApp(getDb(), { appId, relayUrl: getServerEnv().RELAY_PUBLIC_URL }) });
});

export const DELETE = withSession<Params>(async ({ user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, appId: params.appId });
  await deleteApp(getDb(), { actor: actorOf(user), appId });
  return NextResponse.json({ id: appId, deleted: true });
});
