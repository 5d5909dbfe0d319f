// DELETE /v1/peers/:peerId – close every connection of a peer with 4020
import { NextResponse } from "next/server";
import { withApiKey } from "@/lib/http/with-api-key";
import { getRelayClient } from "@/lib/relay/get-relay-client";
import { disconnectPeer } from "@/lib/v1/channel-operations";

export const dynamic = "force-dynamic";

export const DELETE = withApiKey<{ peerId: string }>(async ({ key, params }) =>
  NextResponse.json(await disconnectPeer(getRelayClient(), { key, peerId: params.peerId })),
);
