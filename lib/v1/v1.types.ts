// Request and response schemas of /v1 (PROTOCOL §7). The handlers parse with these and
// /v1/openapi.json is generated from them, so the document cannot drift from the code.
import { channelHistoryQuerySchema, channelHistoryResponseSchema, channelPeersQuerySchema, channelPeersResponseSchema, disconnectPeerResponseSchema } from "@tollgate/relay/protocol";
import { z } from "zod";
import { responseText } from "@/lib/validation/text";

import { peerIdSchema, peerMetadataSchema } from "@/lib/tokens/mint-token.types";

export { mintTokenRequestSchema, mintTokenResponseSchema } from "@/lib/tokens/mint-token.types";
export { usageResponseSchema } from "@/lib/usage/usage.types";

export const publishRequestSchema = z
  .object({
    data: z.unknown().describe("Any JSON value (null allowed); required"),
    from: peerIdSchema.optional().describe("Sender peerId shown to subscribers (default: server)"),
    peerMetadata: peerMetadataSchema.optional(),
  })
  .refine((body) => "data" in body, { message: "data is required (null is allowed)", path: ["data"] });

export const publishResponseSchema = z
  .object({ channel: responseText(), delivered: z.number().int().nonnegative() });

export { channelHistoryQuerySchema, channelPeersQuerySchema };
export const channelPeersSchema = channelPeersResponseSchema;
export const channelHistorySchema = channelHistoryResponseSchema;
export const disconnectPeerSchema = disconnectPeerResponseSchema;

export const apiErrorSchema = z
  .object({
    error: z.enum([
      "invalid_request",
      "channel_reserved",
      "unauthorized",
      "channel_not_authorized",
      "action_not_permitted",
      "app_suspended",
      "not_found",
      "rate_limited",
      "internal_error",
    ]),
    message: responseText(),
    field: responseText().optional(),
  });
