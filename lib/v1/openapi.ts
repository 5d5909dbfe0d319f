// The OpenAPI 3.1 document of /v1, generated from the zod schemas the handlers use.
import { HistoryLimits, Limits } from "@tollgate/relay/protocol";
import { z } from "zod";
import { browserUsageResponseSchema } from "@/lib/usage/browser-usage";
import { DEFAULT_LIVE_USAGE_TIMING } from "@/lib/usage/live-usage.types";
import {
  apiErrorSchema,
  channelHistorySchema,
  channelPeersSchema,
  disconnectPeerSchema,
  mintTokenRequestSchema,
  mintTokenResponseSchema,
  publishRequestSchema,
  publishResponseSchema,
  usageResponseSchema,
} from "./v1.types";

type JsonSchema = Record<string, unknown>;

/**
 * Request bodies are documented as the client sends them (defaults make fields optional), responses
 * as the server produces them; each set is converted through its own registry so shared pieces
 * become component references.
 */
function componentSchemas(schemas: Record<string, z.ZodType>, io: "input" | "output"): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const converted = z.toJSONSchema(registry, { target: "draft-2020-12", io, unrepresentable: "any", uri: (id) => `#/components/schemas/${id}` });
  const result: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(converted.schemas)) {
    const { $schema: _dialect, $id: _id, ...rest } = schema as JsonSchema;
    result[id] = rest;
  }
  return result;
}

function jsonContent(schema: JsonSchema) {
  return { content: { "application/json": { schema } } };
}

const errorRef = { $ref: "#/components/schemas/Error" };

function errors(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: "invalid_request or channel_reserved",
    401: "unauthorized: missing, unknown, revoked or publishable key",
    403: "channel_not_authorized or action_not_permitted",
    413: `invalid_request: body over ${Limits.maxRestBodyBytes} bytes`,
    429: "rate limited (see Retry-After) or, for publish, the app's message quota is used up",
    503: "internal_error: the relay or the database is unavailable; retry",
  };
  return Object.fromEntries(statuses.map((status) => [String(status), { description: descriptions[status] ?? "error", ...jsonContent(errorRef) }]));
}

const channelParam = {
  name: "channel",
  in: "path",
  required: true,
  description: "Channel name, URL-encoded (a / is sent as %2F)",
  schema: { type: "string" },
};

export function buildOpenApiDocument(serverUrl: string) {
  return {
    openapi: "3.1.0",
    info: {
      title: "Tollgate REST API",
      version: "1.0.0",
      description: "Mint tokens, read usage and act on live channels. Authenticate with a secret key: Authorization: Bearer sk_id_…:sk_secret_…",
    },
    servers: [{ url: serverUrl }],
    security: [{ secretKey: [] }],
    components: {
      securitySchemes: {
        secretKey: { type: "http", scheme: "bearer", description: "sk_id_…:sk_secret_…" },
        usageToken: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "GET /v1/usage only: a token from POST /v1/tokens whose permissions include usage (its secret key must allow usage); also accepted as ?token=",
        },
      },
      schemas: {
        ...componentSchemas({ MintTokenRequest: mintTokenRequestSchema, PublishRequest: publishRequestSchema }, "input"),
        ...componentSchemas(
          {
            Error: apiErrorSchema,
            MintTokenResponse: mintTokenResponseSchema,
            Usage: usageResponseSchema,
            BrowserUsage: browserUsageResponseSchema,
            ChannelPeers: channelPeersSchema,
            ChannelHistory: channelHistorySchema,
            PublishResponse: publishResponseSchema,
            DisconnectPeerResponse: disconnectPeerSchema,
          },
          "output",
        ),
      },
    },
    paths: {
      "/v1/tokens": {
        post: {
          operationId: "mintToken",
          summary: "Mint a connection token (HS256 JWT) for one peer",
          requestBody: { required: true, ...jsonContent({ $ref: "#/components/schemas/MintTokenRequest" }) },
          responses: { "200": { description: "The token", ...jsonContent({ $ref: "#/components/schemas/MintTokenResponse" }) }, ...errors(400, 401, 403, 413, 429, 503) },
        },
      },
      "/v1/usage": {
        get: {
          operationId: "getUsage",
          summary: "Usage of the key's app this billing period (servers: Usage; browsers with a usage token: BrowserUsage, CORS allowed)",
          security: [{ secretKey: [] }, { usageToken: [] }],
          parameters: [
            {
              name: "token",
              in: "query",
              required: false,
              description: "A usage token, for callers that cannot set the Authorization header",
              schema: { type: "string" },
            },
          ],
          description:
            `Live figures: the saved totals plus what the relay nodes counted since the last usage flush. Within a period no counter is answered lower than before (concurrentNow is a gauge). measuredAt dates the figures; stale is true while a relay node's figures are late (older than ${DEFAULT_LIVE_USAGE_TIMING.lateAfterMs / 1000} s), which then stay at its last report.`,
          responses: {
            "200": {
              description: "Usage: the Usage shape with a secret key, the BrowserUsage shape with a usage token",
              ...jsonContent({ oneOf: [{ $ref: "#/components/schemas/Usage" }, { $ref: "#/components/schemas/BrowserUsage" }] }),
            },
            ...errors(401, 403, 429, 503),
          },
        },
      },
      "/v1/channels/{channel}/peers": {
        get: {
          operationId: "getChannelPeers",
          summary: "Peers present in a channel, across all relay nodes, a page at a time in peerId order (needs the presence action)",
          parameters: [
            channelParam,
            {
              name: "limit",
              in: "query",
              required: false,
              description: `Most peers per page (default ${Limits.channelPeersDefaultLimit}); a page holds fewer once their metadata passes ${Limits.presenceRosterPageMetadataBytes / 1024} KB`,
              schema: { type: "integer", minimum: 1, maximum: Limits.channelPeersMaxLimit, default: Limits.channelPeersDefaultLimit },
            },
            {
              name: "cursor",
              in: "query",
              required: false,
              description: "The previous page's nextCursor (opaque); absent for the first page",
              schema: { type: "string" },
            },
          ],
          responses: { "200": { description: "Peers", ...jsonContent({ $ref: "#/components/schemas/ChannelPeers" }) }, ...errors(400, 401, 403, 429, 503) },
        },
      },
      "/v1/channels/{channel}/history": {
        get: {
          operationId: "getChannelHistory",
          summary: "The channel's recent messages with their offsets, newest page first, oldest first within a page (needs the subscribe action; empty unless the plan keeps history)",
          parameters: [
            channelParam,
            {
              name: "limit",
              in: "query",
              required: false,
              description: `Most messages per page (default ${HistoryLimits.restDefaultLimit}); never more than the plan's historySize`,
              schema: { type: "integer", minimum: 1, maximum: HistoryLimits.maxSize, default: HistoryLimits.restDefaultLimit },
            },
            {
              name: "before",
              in: "query",
              required: false,
              description: "Only messages with a smaller offset: the previous page's nextBefore; absent for the newest page",
              schema: { type: "integer", minimum: 1 },
            },
          ],
          responses: { "200": { description: "Messages", ...jsonContent({ $ref: "#/components/schemas/ChannelHistory" }) }, ...errors(400, 401, 403, 429, 503) },
        },
      },
      "/v1/channels/{channel}/publish": {
        post: {
          operationId: "publish",
          summary: "Publish a message to a channel (needs the publish action; counts as one message)",
          parameters: [channelParam],
          requestBody: { required: true, ...jsonContent({ $ref: "#/components/schemas/PublishRequest" }) },
          responses: { "200": { description: "Delivered", ...jsonContent({ $ref: "#/components/schemas/PublishResponse" }) }, ...errors(400, 401, 403, 413, 429, 503) },
        },
      },
      "/v1/peers/{peerId}": {
        delete: {
          operationId: "disconnectPeer",
          summary: "Close every connection of a peer with 4020 (closed is 0 when the peer is offline)",
          parameters: [{ name: "peerId", in: "path", required: true, schema: { type: "string" } }],
          responses: { "200": { description: "Closed", ...jsonContent({ $ref: "#/components/schemas/DisconnectPeerResponse" }) }, ...errors(400, 401, 429, 503) },
        },
      },
    },
  };
}
