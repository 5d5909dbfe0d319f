// GET /v1/channels/:channel/peers – who is present in a channel, across relay nodes
import { NextResponse } from "next/server";
import { withApiKey } from "@/lib/http/with-api-key";
import { getRelayClient } from "@/lib/relay/get-relay-client";
import { getChannelPeers } from "@/lib/v1/channel-operations";

export const dynamic = "force-dynamic";

export const GET = withApiKey<{ channel: string }>(async ({ key, params }) =>
  NextResponse.json(await getChannelPeers(getRelayClient(), { key, channel: params.channel })),
);
