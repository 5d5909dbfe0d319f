// POST /v1/channels/:channel/publish – publish one message to a channel's subscribers
import { NextResponse } from "next/server";
import { withApiKey } from "@/lib/http/with-api-key";
import { getRelayClient } from "@/lib/relay/get-relay-client";
import { publishToChannel } from "@/lib/v1/channel-operations";
import { publishRequestSchema } from "@/lib/v1/v1.types";

export const dynamic = "force-dynamic";

export const POST = withApiKey<{ channel: string }>(async ({ key, params, body }) => {
  const message = publishRequestSchema.parse(body ?? {});
  return NextResponse.json(await publishToChannel(getRelayClient(), { key, channel: params.channel, message }));
});
