// GET /api/apps/:appId/keys – the app's keys, with the count toward the 50-key cap
// POST /api/apps/:appId/keys – create a key (the secret is in this response only)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { getServerEnv } from "@/lib/env";
import { actorOf } from "@/lib/http/actor";
import { readJson, withSession } from "@/lib/http/with-session";
import { createApiKey } from "@/lib/keys/create-api-key";
import { createKeySchema } from "@/lib/keys/key.types";
import { listApiKeys } from "@/lib/keys/manage-api-keys";
import { requireAppAccess } from "@/lib/tenancy/require-app-access";

export const dynamic = "force-dynamic";

type Params = { appId: string };

export const GET = withSession<Params>(async ({ user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, appId: params.appId });
  return NextResponse.json(await listApiKeys(getDb(), { appId }));
});

export const POST = withSession<Params>(async ({ req, user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, appId: params.appId });
  const body = createKeySchema.parse(await readJson(req));
  const { secret, ...key } = await createApiKey(getDb(), { ...body, appId, actor: actorOf(user), encryptionKey: getServerEnv().KEY_ENCRYPTION_KEY });
  return NextResponse.json({ key, secret }, { status: 201, headers: { "Cache-Control": "no-store" } });
});
