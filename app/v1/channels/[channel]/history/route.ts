// GET /v1/channels/:channel/history?limit=&before= – the channel's recent messages with their offsets, a page at a time
import { NextResponse } from "next/server";
import { withApiKey } from "@/lib/http/with-api-key";
import { getRelayClient } from "@/lib/relay/get-relay-client";
import { getChannelHistory } from "@/lib/v1/channel-operations";
import { channelHistoryQuerySchema } from "@/lib/v1/v1.types";

export const dynamic = "force-dynamic";

export const GET = withApiKey<{ channel: string }>(async ({ req, key, params }) => {
  const query = channelHistoryQuerySchema.parse(Object.fromEntries(req.nextUrl.searchParams));
  return NextResponse.json(await getChannelHistory(getRelayClient(), { key, channel: params.channel, query }));
});
