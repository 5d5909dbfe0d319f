// DELETE /api/apps/:appId/peers/:peerId – an owner disconnects every connection of the peer (4020)
import { NextResponse } from "next/server";
import { kickPeer } from "@/lib/connections/live-connections";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { withAppAccess } from "@/lib/http/with-app-access";
import { getRelayClient } from "@/lib/relay/get-relay-client";

export const dynamic = "force-dynamic";

export const DELETE = withAppAccess<{ appId: string; peerId: string }>(async ({ user, params, access: { appId } }) => {
  return NextResponse.json(await kickPeer(getDb(), getRelayClient(), { appId, peerId: params.peerId, actor: actorOf(user) }));
}, { permissions: ["connections.manage"] });
