// Calls Next route handlers directly (no HTTP server, no build) against a fresh migrated database and a
// fake relay node that speaks the relay's internal API. Test files mock "@/lib/http/session" to choose
// the signed-in user; everything else — wrappers, zod, domain, Prisma — is the real code.
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { NextRequest } from "next/server";
import {
  channelHistoryQuerySchema,
  channelPeersQuerySchema,
  decodeChannelPeersCursor,
  encodeChannelPeersCursor,
  InternalApiError,
  type NodeConnections,
  type PlanChangeNotice,
  planChangeNoticeSchema,
  RelayInternalPath,
  type UnflushedUsage,
  ZERO_USAGE_COUNTS,
} from "@tollgate/relay/protocol";
import type { Db } from "@/lib/db";
import { billingPeriodAt, toUnixSeconds } from "@/lib/periods/billing-period";
import { seedPlans, TEST_ENCRYPTION_KEY } from "./fixtures";
import { createTestDatabase, type TestDatabase } from "./test-database";

export interface FakeRelayCall {
  method: string;
  segments: string[];
  /** The query string (without `?`). */
  query: string;
  body: unknown;
}

export interface FakeRelay {
  url: string;
  calls: FakeRelayCall[];
  /** Plan-change notices received (kept apart from `calls`: they arrive asynchronously after writes). */
  planChangeNotices: PlanChangeNotice[];
  /** The billing period the fake counts an app's live numbers in (the harness reads the app's current one). */
  periodStartOf: (appId: string) => Promise<number>;
  state: {
    down: boolean;
    /** Stats requests get no answer (a relay too busy to answer); the caller's timeout ends them. */
    statsStalled: boolean;
    concurrentNow: number;
    /** Channels with a subscriber, as the fake (only) node reports them, its own and the app's across nodes alike. */
    activeChannels: number;
    /** What the fake node reports as counted but not yet flushed. */
    unflushed: UnflushedUsage[];
    quotaExhausted: boolean;
    peers: Record<string, { peerId: string; metadata?: Record<string, unknown> }[]>;
    /** Each channel's kept messages, oldest first, under one epoch. */
    history: Record<string, { offset: number; from: string; data: unknown; publishedAt: number }[]>;
    unknownApps: Set<string>;
    /** What the fake's nodes answer to the connection inspector. */
    connectionNodes: NodeConnections[];
  };
  /** Stats requests open right now, and the most that were open at once. */
  statsInFlight: { now: number; max: number };
  stop(): Promise<void>;
}

/** A usage batch a fake node reports as not yet flushed, all counts 0 unless given. */
export function unflushedUsage(periodStartUnix: number, counts: Partial<UnflushedUsage> = {}): UnflushedUsage {
  return {
    batchId: `ub_${randomBytes(8).toString("hex")}`,
    periodStartUnix,
    ...ZERO_USAGE_COUNTS,
    ...counts,
  };
}

/** Implements RelayInternalPath the way relay/src/http-routes.ts does, with canned live state. */
export async function startFakeRelay(relaySecret: string): Promise<FakeRelay> {
  const calls: FakeRelayCall[] = [];
  const state: FakeRelay["state"] = {
    down: false,
    statsStalled: false,
    concurrentNow: 0,
    activeChannels: 0,
    unflushed: [],
    quotaExhausted: false,
    peers: {},
    history: {},
    unknownApps: new Set(),
    connectionNodes: [],
  };
  const fake: FakeRelay = {
    url: "",
    calls,
    planChangeNotices: [],
    periodStartOf: async () => 0,
    state,
    statsInFlight: { now: 0, max: 0 },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer(async (req, res) => {
    if (state.down) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const segments = (req.url ?? "/").split("?")[0]?.split("/").slice(1).map(decodeURIComponent) ?? [];
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${relaySecret}`) return reply(401, { error: "unauthorized", message: "missing or invalid relay secret" });
    if (req.url === RelayInternalPath.planChanged && req.method === "POST") {
      fake.planChangeNotices.push(planChangeNoticeSchema.parse(JSON.parse(text)));
      return reply(202, { accepted: true });
    }
    const body: unknown = text ? JSON.parse(text) : undefined;
    calls.push({ method: req.method ?? "GET", segments, query: (req.url ?? "").split("?")[1] ?? "", body });
    const [, , appId = "", resource, name, action] = segments;
    if (state.unknownApps.has(appId)) return reply(404, { error: InternalApiError.UnknownApp, message: "unknown app" });
    if (resource === "stats") {
      fake.statsInFlight.now += 1;
      fake.statsInFlight.max = Math.max(fake.statsInFlight.max, fake.statsInFlight.now);
      res.once("close", () => (fake.statsInFlight.now -= 1));
      if (state.statsStalled) return;
      const periodStartUnix = await fake.periodStartOf(appId);
      const node = { relayId: "fake-relay", measuredAtUnixMs: Date.now(), periodStartUnix, connections: state.concurrentNow, activeChannels: state.activeChannels, appActiveChannels: state.activeChannels, peakConcurrent: state.concurrentNow, unflushed: state.unflushed };
      const messagesUsed = state.unflushed.reduce((sum, usage) => sum + usage.messagesAccepted, 0);
      return reply(200, { appId, periodStartUnix, concurrentNow: state.concurrentNow, peakConcurrent: state.concurrentNow, messagesUsed, nodes: [node], allNodesAnswered: true });
    }
    if (resource === "channels" && name !== undefined && action === "peers") {
      // Pages like the relay: peerId order, a page after the cursor's peer, a cursor while peers follow.
      const query = channelPeersQuerySchema.safeParse(Object.fromEntries(new URLSearchParams((req.url ?? "").split("?")[1] ?? "")));
      if (!query.success) return reply(400, { error: InternalApiError.InvalidRequest, message: "bad page query" });
      const after = query.data.cursor === undefined ? null : decodeChannelPeersCursor(query.data.cursor);
      const sorted = [...(state.peers[name] ?? [])].sort((x, y) => (x.peerId < y.peerId ? -1 : 1));
      const rest = after === null ? sorted : sorted.filter((peer) => peer.peerId > after);
      const peers = rest.slice(0, query.data.limit);
      const last = peers.at(-1);
      return reply(200, { channel: name, peers, nextCursor: rest.length > peers.length && last ? encodeChannelPeersCursor(last.peerId) : null });
    }
    if (resource === "channels" && name !== undefined && action === "history") {
      // Pages like the relay: the newest `limit` before `before`, oldest first, nextBefore while older ones exist.
      const query = channelHistoryQuerySchema.safeParse(Object.fromEntries(new URLSearchParams((req.url ?? "").split("?")[1] ?? "")));
      if (!query.success) return reply(400, { error: InternalApiError.InvalidRequest, message: "bad history query" });
      const kept = state.history[name] ?? [];
      const older = kept.filter((message) => query.data.before === undefined || message.offset < query.data.before);
      const messages = older.slice(Math.max(0, older.length - query.data.limit));
      const nextBefore = older.length > messages.length ? (messages[0]?.offset ?? null) : null;
      return reply(200, { channel: name, epoch: kept.length > 0 ? "fake-epoch" : null, messages, nextBefore });
    }
    if (resource === "channels" && name !== undefined && action === "publish") {
      return reply(200, state.quotaExhausted ? { channel: name, delivered: 0, dropped: "over_message_quota" } : { channel: name, delivered: 2 });
    }
    if (resource === "peers" && name !== undefined && req.method === "DELETE") return reply(200, { peerId: name, closed: 1 });
    if (resource === "connections" && req.method === "GET") {
      const nodes = state.connectionNodes.length > 0 ? state.connectionNodes : [{ relayId: "fake-relay", open: 0, connections: [], recentlyClosed: [] }];
      return reply(200, { appId, nodes, allNodesAnswered: true });
    }
    return reply(404, { error: "not_found", message: "no such route" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}`;
  return fake;
}

export interface RouteHarness {
  db: Db;
  relaySecret: string;
  relay: FakeRelay;
  stop(): Promise<void>;
}

export async function startRouteHarness(options: { apiRateLimitPerSecond?: number } = {}): Promise<RouteHarness> {
  const relaySecret = randomBytes(32).toString("base64url");
  const [database, relay]: [TestDatabase, FakeRelay] = await Promise.all([createTestDatabase(), startFakeRelay(relaySecret)]);
  Object.assign(process.env, {
    DATABASE_URL: database.url,
    NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
    RELAY_SECRET: relaySecret,
    KEY_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    RELAY_INTERNAL_URL: relay.url,
    RELAY_PUBLIC_URL: "ws://relay.test",
    API_RATE_LIMIT_PER_SECOND: String(options.apiRateLimitPerSecond ?? 1000),
  });
  // getDb() keeps its client on globalThis; hand it this file's client so no second pool is opened.
  (globalThis as { tollgatePrisma?: Db }).tollgatePrisma = database.db;
  relay.periodStartOf = async (appId) => {
    const app = await database.db.app.findUniqueOrThrow({ where: { id: appId }, select: { billingAnchor: true } });
    return toUnixSeconds(billingPeriodAt(app.billingAnchor, new Date()).start);
  };
  await seedPlans(database.db);
  return {
    db: database.db,
    relaySecret,
    relay,
    stop: async () => {
      await relay.stop();
      await database.drop();
    },
  };
}

export interface InvokeOptions {
  method?: string;
  path?: string;
  /** An object is sent as JSON; a string is sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
  params?: Record<string, string>;
}

export interface InvokeResult<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * Any route handler fits: its params type is only known to the route, and `never` is assignable to
 * all of them. The caller names the response body type it expects.
 */
export async function invoke<T = Record<string, unknown>>(
  handler: (req: NextRequest, context: { params: Promise<never> }) => Promise<Response> | Response,
  options: InvokeOptions = {},
): Promise<InvokeResult<T>> {
  const headers = new Headers(options.headers);
  let body: string | undefined;
  if (typeof options.body === "string") body = options.body;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers.set("content-type", "application/json");
  }
  const req = new NextRequest(new URL(options.path ?? "/", "http://localhost"), { method: options.method ?? "GET", headers, body });
  const response = await handler(req, { params: Promise.resolve(options.params ?? {}) as Promise<never> });
  const text = await response.text();
  // A JSON answer is parsed; a document (CSV, HTML) comes back as its text.
  const json = response.headers.get("content-type")?.includes("json") ?? false;
  return { status: response.status, body: (text ? (json ? JSON.parse(text) : text) : null) as T, headers: response.headers };
}
