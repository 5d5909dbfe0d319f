// GET /v1/channels/:channel/peers?limit=&cursor= – who is present in a channel, across relay nodes, a page at a time
import { NextResponse } from "next/server";
import { withApiKey } from "@/lib/http/with-api-key";
import { getRelayClient } from "@/lib/relay/get-relay-client";
import { getChannelPeers } from "@/lib/v1/channel-operations";
import { channelPeersQuerySchema } from "@/lib/v1/v1.types";

export const dynamic = "force-dynamic";

export const GET = withApiKey<{ channel: string }>(async ({ req, key, params }) => {
  const page = channelPeersQuerySchema.parse(Object.fromEntries(req.nextUrl.searchParams));
  return NextResponse.json(await getChannelPeers(getRelayClient(), { key, channel: params.channel, page }));
});
