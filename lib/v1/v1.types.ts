// Request and response schemas of /v1 (PROTOCOL §7). The handlers parse with these and
// /v1/openapi.json is generated from them, so the document cannot drift from the code.
import { channelPeersResponseSchema, disconnectPeerResponseSchema, Limits } from "@tollgate/relay/protocol";
import { z } from "zod";

export { mintTokenRequestSchema, mintTokenResponseSchema } from "@/lib/tokens/mint-token.types";
export { usageResponseSchema } from "@/lib/usage/usage.types";

export const publishRequestSchema = z
  .object({
    data: z.unknown().describe("Any JSON value (null allowed); required"),
    from: z.string().min(1).max(Limits.maxPeerIdBytes).optional().describe("Sender peerId shown to subscribers (default: server)"),
    peerMetadata: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((body) => "data" in body, { message: "data is required (null is allowed)", path: ["data"] });

export const publishResponseSchema = z
  .object({ channel: z.string(), delivered: z.number().int().nonnegative() });

export const channelPeersSchema = channelPeersResponseSchema;
export const disconnectPeerSchema = disconnectPeerResponseSchema;

export const apiErrorSchema = z
  .object({
    error: z.enum([
      "invalid_request",
      "channel_reserved",
      "unauthorized",
      "channel_not_authorized",
      "action_not_permitted",
      "not_found",
      "rate_limited",
      "internal_error",
    ]),
    message: z.string(),
    field: z.string().optional(),
  });
