// DELETE /api/apps/:appId/keys/:keyId – revoke a key
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { withSession } from "@/lib/http/with-session";
import { revokeApiKey } from "@/lib/keys/manage-api-keys";
import { requireAppAccess } from "@/lib/tenancy/require-app-access";

export const dynamic = "force-dynamic";

export const DELETE = withSession<{ appId: string; keyId: string }>(async ({ user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, appId: params.appId });
  return NextResponse.json({ key: await revokeApiKey(getDb(), { actor: actorOf(user), appId, keyId: params.keyId }) });
});
