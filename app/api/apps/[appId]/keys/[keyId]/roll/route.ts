// POST /api/apps/:appId/keys/:keyId/roll – replace a key; the old one works until the grace period ends
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { getServerEnv } from "@/lib/env";
import { actorOf } from "@/lib/http/actor";
import { withAppAccess } from "@/lib/http/with-app-access";
import { readOptionalJson } from "@/lib/http/with-session";
import { rollKeySchema } from "@/lib/keys/key.types";
import { rollApiKey } from "@/lib/keys/manage-api-keys";

export const dynamic = "force-dynamic";

export const POST = withAppAccess<{ appId: string; keyId: string }>(async ({ req, user, params, access: { appId } }) => {
  const { gracePeriodSec } = rollKeySchema.parse(await readOptionalJson(req));
  const { key, previous } = await rollApiKey(getDb(), {
    actor: actorOf(user),
    appId,
    keyId: params.keyId,
    gracePeriodSec,
    encryptionKey: getServerEnv().KEY_ENCRYPTION_KEY,
  });
  const { secret, ...view } = key;
  return NextResponse.json({ key: view, secret, previous }, { status: 201, headers: { "Cache-Control": "no-store" } });
}, { permissions: ["keys.manage"] });
