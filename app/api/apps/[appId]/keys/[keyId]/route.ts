// DELETE /api/apps/:appId/keys/:keyId – revoke a key
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { withAppAccess } from "@/lib/http/with-app-access";
import { revokeApiKey } from "@/lib/keys/manage-api-keys";

export const dynamic = "force-dynamic";

export const DELETE = withAppAccess<{ appId: string; keyId: string }>(async ({ user, params, access: { appId } }) => {
  return NextResponse.json({ key: await revokeApiKey(getDb(), { actor: actorOf(user), appId, keyId: params.keyId }) });
}, { permissions: ["keys.manage"] });
