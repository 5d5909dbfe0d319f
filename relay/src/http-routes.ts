// Plain HTTP on the relay's port: /healthz, /readyz, /metrics, and the control plane's internal
// endpoints (RelayInternalPath, Bearer RELAY_SECRET; docs/ARCHITECTURE.md §7). Handlers parse input
// with zod, call the node through the narrow `InternalApiNode` interface, and answer JSON; errors use
// the REST error shape `{error, message}` with InternalApiError codes.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  Disconnect,
  ErrorCode,
  HistoryLimits,
  INTERNAL_AUTH_HEADER,
  InternalApiError,
  Limits,
  RelayInternalPath,
  channelHistoryQuerySchema,
  channelPeersQuerySchema,
  connectionsQuerySchema,
  decodeChannelPeersCursor,
  encodeChannelPeersCursor,
  peerDisconnectQuerySchema,
  planChangeNoticeSchema,
  presenceMembersJson,
  relayPublishRequestSchema,
} from "./protocol";
import type { NodeConnections, NodeUsageReport, RelayConnectionsResponse, RelayStatsResponse, SnapshotApp } from "./protocol";
import type { JsonObject, RelayState } from "./state/types";
import { HistoryUnavailableError, OtherNodesUnreachableError } from "./state/types";
import { channelHistoryJson } from "./channel-history-page";
import type { Logger } from "./log";
import type { Lookup } from "./plan-cache";
import { peersFittingAPage } from "./roster-pages";
import { channelProblem } from "./validation";

/** What the HTTP routes need from a relay node, and nothing more. */
export interface InternalApiNode {
  readonly relaySecret: string;
  /** Bearer token that /metrics requires; undefined = /metrics is off (403). */
  readonly metricsToken: string | undefined;
  readonly state: RelayState;
  readonly logger: Logger;
  /** The node knows where it stands in the change feed (from the control plane or its copy on disk). */
  planCacheReady(): boolean;
  closing(): boolean;
  /** The app's state, looked up when this node does not hold it. */
  app(appId: string): Promise<Lookup<SnapshotApp>> | Lookup<SnapshotApp>;
  peakConcurrent(app: SnapshotApp): number;
  /** This node's live usage of the app (connections, peak, counts not yet acknowledged). */
  usageReport(appId: string): NodeUsageReport;
  /** This node's open connections of the app (at most `limit`) and its recent closes. */
  connections(appId: string, limit: number): NodeConnections;
  metrics(): Promise<{ contentType: string; body: string }>;
  planChanged(): void;
  restPublish(app: SnapshotApp, channel: string, data: unknown, from: string, peerMetadata: JsonObject | undefined): Promise<{ delivered: number; dropped: boolean }>;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  jsonText(res, status, JSON.stringify(body), headers);
}

/** `text` is JSON already (a roster, whose metadata is kept as JSON text). */
function jsonText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function apiError(res: ServerResponse, status: number, error: string, message: string): void {
  json(res, status, { error, message });
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** Constant-time comparison of a bearer secret (hashing first equalises the lengths). */
function bearerMatches(header: string | string[] | undefined, expected: string): boolean {
  if (typeof header !== "string" || !header.startsWith("Bearer ")) return false;
  return timingSafeEqual(digest(header.slice("Bearer ".length)), digest(expected));
}

function internalAuthorized(server: InternalApiNode, req: IncomingMessage): boolean {
  return bearerMatches(req.headers[INTERNAL_AUTH_HEADER], server.relaySecret);
}

class BodyTooLarge extends Error {}

const PLAN_CHANGE_NOTICE_MAX_BYTES = 4 * 1024;

async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > maxBytes) throw new BodyTooLarge();
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

type JsonBody = { ok: true; value: unknown } | { ok: false; status: 400 | 413; message: string };

async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<JsonBody> {
  let text: string;
  try {
    text = await readBody(req, maxBytes);
  } catch (error) {
    if (error instanceof BodyTooLarge) return { ok: false, status: 413, message: `body over ${maxBytes} bytes` };
    throw error;
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, status: 400, message: "body is not JSON" };
  }
}

/** The query string of a request URL as an object (for zod). */
function queryOf(req: IncomingMessage): Record<string, string> {
  return Object.fromEntries(new URLSearchParams((req.url ?? "").split("?")[1] ?? ""));
}

/** Splits `/internal/apps/:appId/...` into decoded segments; null when a segment is not valid percent-encoding. */
function internalSegments(pathname: string): string[] | null {
  try {
    return pathname.split("/").slice(1).map((segment) => decodeURIComponent(segment));
  } catch {
    return null;
  }
}

export async function handleHttpRequest(server: InternalApiNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // The raw path is kept encoded so channel names containing `/` (sent as %2F) stay one segment.
  const rawPath = (req.url ?? "/").split("?")[0] ?? "/";
  const method = req.method ?? "GET";

  if (rawPath === "/healthz" && method === "GET") return json(res, 200, { status: "ok" });
  if (rawPath === "/readyz" && method === "GET") {
    const ready = server.planCacheReady() && !server.closing();
    // A node whose Redis is down still serves (with its local view), so it stays ready; the body says so.
    const shared = server.state.health?.();
    const redis = shared ? { redis: shared.degraded ? "degraded" : "ok" } : {};
    return json(res, ready ? 200 : 503, { status: ready ? "ready" : "not_ready", snapshotLoaded: server.planCacheReady(), closing: server.closing(), ...redis });
  }
  if (rawPath === "/metrics" && method === "GET") {
    // It names every tenant's apps and their usage, and this port faces the internet.
    const token = server.metricsToken;
    if (!token) return apiError(res, 403, "forbidden", "metrics are off: set METRICS_TOKEN and scrape with Authorization: Bearer <token>");
    if (!bearerMatches(req.headers.authorization, token)) return apiError(res, 401, InternalApiError.Unauthorized, "missing or invalid metrics token");
    const metrics = await server.metrics();
    res.writeHead(200, { "content-type": metrics.contentType });
    res.end(metrics.body);
    return;
  }
  if (!rawPath.startsWith("/internal/")) return apiError(res, 404, InternalApiError.NotFound, "no such route");
  if (!internalAuthorized(server, req)) return apiError(res, 401, InternalApiError.Unauthorized, "missing or invalid relay secret");
  if (rawPath === RelayInternalPath.planChanged && method === "POST") {
    const body = await readJsonBody(req, PLAN_CHANGE_NOTICE_MAX_BYTES);
    if (!body.ok) return apiError(res, body.status, InternalApiError.InvalidRequest, body.message);
    const notice = planChangeNoticeSchema.safeParse(body.value);
    if (!notice.success) return apiError(res, 400, InternalApiError.InvalidRequest, "body is not a plan-change notice");
    server.logger.debug("plan change notice", notice.data);
    server.planChanged();
    return json(res, 202, { accepted: true });
  }

  const segments = internalSegments(rawPath);
  if (!segments || segments[0] !== "internal" || segments[1] !== "apps" || segments[2] === undefined) {
    return apiError(res, 404, InternalApiError.NotFound, "no such route");
  }
  const appId = segments[2];
  const rest = segments.slice(3);
  const lookup = await server.app(appId);
  if (lookup.kind === "unavailable") return apiError(res, 503, InternalApiError.Unavailable, "the control plane did not answer for this app");
  if (lookup.kind === "unknown") return apiError(res, 404, InternalApiError.UnknownApp, "unknown app");
  const app = lookup.value;

  // GET stats: the cluster's counts and each answering node's live usage
  if (rest.length === 1 && rest[0] === "stats" && method === "GET") {
    const [concurrentNow, others, appActiveChannels] = await Promise.all([
      server.state.leases.count(appId),
      server.state.bus.gatherUsageReports(appId),
      server.state.presence.activeChannelCount(appId),
    ]);
    const stats: RelayStatsResponse = {
      appId,
      periodStartUnix: app.period.startUnix,
      concurrentNow,
      peakConcurrent: Math.max(server.peakConcurrent(app), concurrentNow),
      messagesUsed: server.state.counters.total(appId, app.period.startUnix),
      nodes: [{ ...server.usageReport(appId), appActiveChannels }, ...others.reports],
      allNodesAnswered: others.complete,
    };
    return json(res, 200, stats);
  }

  // GET connections: every answering node's open connections of the app (a bounded page each) and recent closes
  if (rest.length === 1 && rest[0] === "connections" && method === "GET") {
    const query = connectionsQuerySchema.safeParse(queryOf(req));
    if (!query.success) return apiError(res, 400, InternalApiError.InvalidRequest, `limit is 1–${Limits.connectionsMaxLimit}`);
    const others = await server.state.bus.gatherConnections(appId, query.data.limit);
    const answer: RelayConnectionsResponse = { appId, nodes: [server.connections(appId, query.data.limit), ...others.nodes], allNodesAnswered: others.complete };
    return json(res, 200, answer);
  }

  // GET channel peers / POST channel publish
  if (rest.length === 3 && rest[0] === "channels" && rest[1] !== undefined) {
    const channel = rest[1];
    const problem = channelProblem(channel);
    if (problem === ErrorCode.ChannelReserved) return apiError(res, 400, InternalApiError.ChannelReserved, "reserved channel prefix");
    if (problem !== null) return apiError(res, 400, InternalApiError.InvalidRequest, "invalid channel name");
    if (rest[2] === "peers" && method === "GET") {
      // One page per call: a channel of thousands of peers is never read or serialized whole.
      const query = channelPeersQuerySchema.safeParse(queryOf(req));
      if (!query.success) return apiError(res, 400, InternalApiError.InvalidRequest, `limit is 1–${Limits.channelPeersMaxLimit}; cursor comes from a previous page's nextCursor`);
      const after = query.data.cursor === undefined ? null : decodeChannelPeersCursor(query.data.cursor);
      const page = await server.state.presence.rosterPage(appId, channel, after, query.data.limit);
      // Fewer than `limit` once their metadata passes a page's bytes, like roster pages: bounded work per call.
      const fitting = peersFittingAPage(page.members, query.data.limit);
      const members = page.members.slice(0, fitting);
      const nextAfter = fitting < page.members.length ? (members.at(-1)?.peerId ?? null) : page.nextAfter;
      const nextCursor = nextAfter === null ? null : encodeChannelPeersCursor(nextAfter);
      return jsonText(res, 200, `{"channel":${JSON.stringify(channel)},"peers":${presenceMembersJson(members)},"nextCursor":${JSON.stringify(nextCursor)}}`);
    }
    if (rest[2] === "history" && method === "GET") {
      const query = channelHistoryQuerySchema.safeParse(queryOf(req));
      if (!query.success) return apiError(res, 400, InternalApiError.InvalidRequest, `limit is 1–${HistoryLimits.maxSize}; before is an offset ≥ 1`);
      try {
        return jsonText(res, 200, await channelHistoryJson(server.state.history, app, channel, query.data));
      } catch (error) {
        if (error instanceof HistoryUnavailableError) return apiError(res, 503, InternalApiError.Unavailable, error.message);
        throw error;
      }
    }
    if (rest[2] === "publish" && method === "POST") {
      const body = await readJsonBody(req, Limits.maxRestBodyBytes);
      if (!body.ok) return apiError(res, body.status, InternalApiError.InvalidRequest, body.message);
      const parsed = relayPublishRequestSchema.safeParse(body.value);
      if (!parsed.success || typeof body.value !== "object" || body.value === null || !("data" in body.value)) {
        return apiError(res, 400, InternalApiError.InvalidRequest, "body needs data");
      }
      const result = await server.restPublish(app, channel, parsed.data.data, parsed.data.from ?? "server", parsed.data.peerMetadata);
      return json(res, 200, result.dropped ? { channel, delivered: 0, dropped: ErrorCode.OverMessageQuota } : { channel, delivered: result.delivered });
    }
  }

  // DELETE peer (?by=owner from the dashboard, else the app's backend)
  if (rest.length === 2 && rest[0] === "peers" && rest[1] !== undefined && method === "DELETE") {
    const peerId = rest[1];
    const query = peerDisconnectQuerySchema.safeParse(queryOf(req));
    if (!query.success) return apiError(res, 400, InternalApiError.InvalidRequest, "by is backend or owner");
    const disconnect = query.data.by === "owner" ? Disconnect.OwnerDisconnect : Disconnect.AdminDisconnect;
    try {
      const closed = await server.state.bus.disconnectPeer(appId, peerId, disconnect.code, disconnect.reason);
      return json(res, 200, { peerId, closed });
    } catch (error) {
      if (error instanceof OtherNodesUnreachableError) return apiError(res, 503, InternalApiError.Unavailable, error.message);
      throw error;
    }
  }
  return apiError(res, 404, InternalApiError.NotFound, "no such route");
}
