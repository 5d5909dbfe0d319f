// GET /api/apps/:appId/keys – the app's keys, with the count toward the 50-key cap
// POST /api/apps/:appId/keys – create a key (the secret is in this response only)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { getServerEnv } from "@/lib/env";
import { actorOf } from "@/lib/http/actor";
import { withAppAccess } from "@/lib/http/with-app-access";
import { readJson } from "@/lib/http/with-session";
import { createApiKey } from "@/lib/keys/create-api-key";
import { createKeySchema } from "@/lib/keys/key.types";
import { listApiKeys } from "@/lib/keys/manage-api-keys";

export const dynamic = "force-dynamic";

type Params = { appId: string };

export const GET = withAppAccess<Params>(async ({ access: { appId } }) => NextResponse.json(await listApiKeys(getDb(), { appId })), {
  permissions: ["keys.read"],
});

export const POST = withAppAccess<Params>(async ({ req, user, access: { appId } }) => {
  const body = createKeySchema.parse(await readJson(req));
  const { secret, ...key } = await createApiKey(getDb(), { ...body, appId, actor: actorOf(user), encryptionKey: getServerEnv().KEY_ENCRYPTION_KEY });
  return NextResponse.json({ key, secret }, { status: 201, headers: { "Cache-Control": "no-store" } });
}, { permissions: ["keys.manage"] });
