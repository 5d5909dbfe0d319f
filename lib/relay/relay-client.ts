// Calls a relay node's internal endpoints (RelayInternalPath) for the /v1 operations that need live
// state. Every call is bounded by a timeout; an unreachable relay becomes `unavailable` (503).
import {
  acceptedResponseSchema,
  type ChannelHistoryQuery,
  channelHistoryResponseSchema,
  type ChannelPeersQuery,
  channelPeersResponseSchema,
  type ConnectionsQuery,
  disconnectPeerResponseSchema,
  INTERNAL_AUTH_HEADER,
  InternalApiError,
  type PeerDisconnectBy,
  type PlanChangeNotice,
  relayConnectionsResponseSchema,
  RelayInternalPath,
  relayPublishResponseSchema,
  relayStatsResponseSchema,
} from "@tollgate/relay/protocol";
import type { z } from "zod";
import { DomainError, DomainErrorCode } from "@/lib/errors";

export interface RelayClient {
  /** Every answering node's live usage of the app; gives up after `timeoutMs` (default 1 s). */
  stats(appId: string, timeoutMs?: number): Promise<z.infer<typeof relayStatsResponseSchema>>;
  /** One page of the channel's peers (the relay pages too, so neither side holds a whole roster). */
  channelPeers(appId: string, channel: string, page: ChannelPeersQuery): Promise<z.infer<typeof channelPeersResponseSchema>>;
  /** A page of the channel's history, newest messages before `query.before`, oldest first. */
  channelHistory(appId: string, channel: string, query: ChannelHistoryQuery): Promise<z.infer<typeof channelHistoryResponseSchema>>;
  publish(
    appId: string,
    channel: string,
    body: { data: unknown; from?: string; peerMetadata?: Record<string, unknown> },
  ): Promise<z.infer<typeof relayPublishResponseSchema>>;
  disconnectPeer(appId: string, peerId: string, by?: PeerDisconnectBy): Promise<z.infer<typeof disconnectPeerResponseSchema>>;
  /** Every answering node's open connections of the app (a bounded page each) and recent closes. */
  connections(appId: string, query: ConnectionsQuery): Promise<z.infer<typeof relayConnectionsResponseSchema>>;
  /** Tells the node the snapshot changed so it refreshes now rather than at its next poll. */
  notifyPlanChanged(notice: PlanChangeNotice): Promise<void>;
}

/** The relay answered 404 for the app: it has not loaded it from the snapshot yet (or it was deleted). */
export class RelayUnknownAppError extends DomainError {
  constructor() {
    super("unavailable", "The relay has not loaded this app yet; retry in a few seconds");
  }
}

function isErrorBody(value: unknown): value is { error: string; message?: string } {
  return typeof value === "object" && value !== null && "error" in value && typeof (value as { error: unknown }).error === "string";
}

export function createRelayClient(options: { baseUrl: string; relaySecret: string; timeoutMs?: number }): RelayClient {
  async function call<T>(method: string, path: string, schema: z.ZodType<T>, body?: unknown, timeoutMs = options.timeoutMs ?? 3_000): Promise<T> {
    let response: Response;
    try {
      response = await fetch(new URL(path, options.baseUrl), {
        method,
        headers: {
          [INTERNAL_AUTH_HEADER]: `Bearer ${options.relaySecret}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch {
      throw new DomainError("unavailable", "The relay is unreachable; retry shortly");
    }
    const payload: unknown = await response.json().catch(() => null);
    if (response.ok) {
      const parsed = schema.safeParse(payload);
      if (parsed.success) return parsed.data;
      throw new DomainError("unavailable", "The relay answered in an unexpected shape");
    }
    if (response.status === 404 && isErrorBody(payload) && payload.error === InternalApiError.UnknownApp) throw new RelayUnknownAppError();
    // Client errors the relay reports (invalid channel, reserved prefix, body too large) pass through.
    if (response.status < 500 && isErrorBody(payload) && payload.error in DomainErrorCode && response.status !== 401) {
      throw new DomainError(payload.error as DomainErrorCode, payload.message ?? payload.error);
    }
    throw new DomainError("unavailable", "The relay could not complete the request; retry shortly");
  }

  return {
    stats: (appId, timeoutMs = 1_000) => call("GET", RelayInternalPath.stats(appId), relayStatsResponseSchema, undefined, timeoutMs),
    channelPeers: (appId, channel, page) => call("GET", RelayInternalPath.channelPeers(appId, channel, page), channelPeersResponseSchema),
    channelHistory: (appId, channel, query) => call("GET", RelayInternalPath.channelHistory(appId, channel, query), channelHistoryResponseSchema),
    publish: (appId, channel, body) => call("POST", RelayInternalPath.publish(appId, channel), relayPublishResponseSchema, body),
    disconnectPeer: (appId, peerId, by) => call("DELETE", RelayInternalPath.disconnectPeer(appId, peerId, by), disconnectPeerResponseSchema),
    connections: (appId, query) => call("GET", RelayInternalPath.connections(appId, query), relayConnectionsResponseSchema),
    notifyPlanChanged: async (notice) => {
      await call("POST", RelayInternalPath.planChanged, acceptedResponseSchema, notice, 1_000);
    },
  };
}
