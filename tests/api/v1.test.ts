// /v1 REST (PROTOCOL §7) through the real route handlers, with a fake relay behind the live operations.
import { HistoryLimits, Limits } from "@tollgate/relay/protocol";
import { decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as publishRoute } from "@/app/v1/channels/[channel]/publish/route";
import { GET as historyRoute } from "@/app/v1/channels/[channel]/history/route";
import { GET as peersRoute } from "@/app/v1/channels/[channel]/peers/route";
import { GET as openApiRoute } from "@/app/v1/openapi.json/route";
import { DELETE as disconnectRoute } from "@/app/v1/peers/[peerId]/route";
import { POST as tokensRoute } from "@/app/v1/tokens/route";
import { GET as usageRoute } from "@/app/v1/usage/route";
import { createApiKey } from "@/lib/keys/create-api-key";
import { revokeApiKey, rollApiKey } from "@/lib/keys/manage-api-keys";
import { createTestApp, createUser, TEST_ENCRYPTION_KEY } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness, unflushedUsage } from "@/tests/helpers/route-harness";

let harness: RouteHarness;
const RATE_LIMIT_PER_SECOND = 5;

beforeAll(async () => {
  harness = await startRouteHarness({ apiRateLimitPerSecond: RATE_LIMIT_PER_SECOND });
});
afterAll(async () => harness?.stop());

async function newKey(options: { channelPatterns?: string[]; actions?: ("publish" | "subscribe" | "presence" | "send")[]; planSlug?: string } = {}) {
  const user = await createUser(harness.db);
  const app = await createTestApp(harness.db, { tenantId: user.tenantId, planSlug: options.planSlug });
  const key = await createApiKey(harness.db, { appId: app.id, kind: "secret", name: "backend", encryptionKey: TEST_ENCRYPTION_KEY, ...options });
  return { app, key, auth: { authorization: `Bearer ${key.id}:${key.secret}` } };
}

describe("POST /v1/tokens", () => {
  it("happy: mints an HS256 JWT with kid and typ that verifies with the signing secret", async () => {
    const { key, auth } = await newKey();
    const before = Math.floor(Date.now() / 1000);
    const res = await invoke<{ token: string; expiresAt: number }>(tokensRoute, {
      method: "POST",
      headers: auth,
      body: { peerId: "user-1", channels: ["chat/*"], permissions: ["subscribe"], metadata: { plan: "pro" }, peerMetadata: { name: "Ada" }, expiresInSec: 600 },
    });
    expect(res.status).toBe(200);
    expect(decodeProtectedHeader(res.body.token)).toEqual({ alg: "HS256", kid: key.id, typ: "JWT" });
    const { payload } = await jwtVerify(res.body.token, new TextEncoder().encode(key.secret ?? ""), { algorithms: ["HS256"] });
    expect(payload).toMatchObject({ sub: "user-1", channels: ["chat/*"], permissions: ["subscribe"], metadata: { plan: "pro" }, peerMetadata: { name: "Ada" } });
    expect(payload.exp).toBe(res.body.expiresAt);
    expect(res.body.expiresAt - before).toBeGreaterThanOrEqual(600);
    expect(res.body.expiresAt - before).toBeLessThanOrEqual(602);
  });

  it("happy: defaults to a one-hour token without channel or permission claims", async () => {
    const { key, auth } = await newKey();
    const res = await invoke<{ token: string; expiresAt: number }>(tokensRoute, { method: "POST", headers: auth, body: { peerId: "p" } });
    const { payload } = await jwtVerify(res.body.token, new TextEncoder().encode(key.secret ?? ""));
    expect(payload.channels).toBeUndefined();
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
  });

  it("errors: bad bodies get 400 invalid_request naming the field", async () => {
    const { auth } = await newKey();
    const cases: [unknown, string][] = [
      [{}, "peerId"],
      [{ peerId: "" }, "peerId"],
      [{ peerId: "é" }, "peerId"],
      [{ peerId: "p", expiresInSec: 86_401 }, "expiresInSec"],
      [{ peerId: "p", channels: Array.from({ length: 101 }, (_, i) => `c${i}`) }, "channels"],
      [{ peerId: "p", permissions: ["fly"] }, "permissions.0"],
      [{ peerId: "p", peerMetadata: { blob: "x".repeat(5000) } }, "peerMetadata"],
      [{ peerId: "p", channels: ["bad\u0001name"] }, "channels.0"],
    ];
    for (const [body, field] of cases) {
      const res = await invoke(tokensRoute, { method: "POST", headers: auth, body });
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body).toMatchObject({ error: "invalid_request", field });
    }
    const notJson = await invoke(tokensRoute, { method: "POST", headers: auth, body: "{" });
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatchObject({ error: "invalid_request" });
  });

  it("errors: claims wider than the key are 403, reserved channels 400", async () => {
    const { auth } = await newKey({ channelPatterns: ["chat/*"], actions: ["subscribe", "publish"] });
    const outside = await invoke(tokensRoute, { method: "POST", headers: auth, body: { peerId: "p", channels: ["admin/x"] } });
    expect(outside.status).toBe(403);
    expect(outside.body).toMatchObject({ error: "channel_not_authorized", field: "channels.0" });
    const wider = await invoke(tokensRoute, { method: "POST", headers: auth, body: { peerId: "p", channels: ["chat/**"] } });
    expect(wider.status).toBe(403);
    const within = await invoke(tokensRoute, { method: "POST", headers: auth, body: { peerId: "p", channels: ["chat/room-1", "chat/*"] } });
    expect(within.status).toBe(200);
    const action = await invoke(tokensRoute, { method: "POST", headers: auth, body: { peerId: "p", permissions: ["send"] } });
    expect(action.status).toBe(403);
    expect(action.body).toMatchObject({ error: "action_not_permitted" });
    const { auth: openAuth } = await newKey();
    const reserved = await invoke(tokensRoute, { method: "POST", headers: openAuth, body: { peerId: "p", channels: ["_System/x"] } });
    expect(reserved.status).toBe(400);
    expect(reserved.body).toMatchObject({ error: "channel_reserved" });
  });

  it("errors: a body over 32 KB gets 413 invalid_request", async () => {
    const { auth } = await newKey();
    const res = await invoke(tokensRoute, { method: "POST", headers: auth, body: { peerId: "p", metadata: { blob: "x".repeat(33 * 1024) } } });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: "invalid_request" });
  });
});

describe("/v1 authentication (security)", () => {
  it("answers every bad credential with the same 401 body", async () => {
    const { app, key, auth } = await newKey();
    const publishable = await createApiKey(harness.db, { appId: app.id, kind: "publishable", name: "pk", encryptionKey: TEST_ENCRYPTION_KEY });
    const revoked = await createApiKey(harness.db, { appId: app.id, kind: "secret", name: "old", encryptionKey: TEST_ENCRYPTION_KEY });
    await revokeApiKey(harness.db, { actor: { id: null }, appId: app.id, keyId: revoked.id });
    const headers: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${key.id}` },
      { authorization: `Bearer ${key.id}:sk_secret_wrong` },
      { authorization: `Bearer sk_id_unknown:${key.secret}` },
      { authorization: `Bearer ${publishable.id}` },
      { authorization: `Bearer ${publishable.id}:${key.secret}` },
      { authorization: `Bearer ${revoked.id}:${revoked.secret}` },
      { authorization: `Bearer ${harness.relaySecret}` },
      { authorization: (auth.authorization ?? "").replace("Bearer ", "Basic ") },
    ];
    const bodies = new Set<string>();
    for (const h of headers) {
      for (const [route, method] of [
        [usageRoute, "GET"],
        [tokensRoute, "POST"],
      ] as const) {
        // Its own source address: these 18 failures stay within the failed-auth budget of one address.
        const res = await invoke(route, { method, headers: { ...h, "x-tollgate-peer-address": "192.0.2.10" }, body: method === "POST" ? { peerId: "p" } : undefined });
        expect(res.status).toBe(401);
        bodies.add(JSON.stringify(res.body));
      }
    }
    expect(bodies.size).toBe(1);
    expect(JSON.parse([...bodies][0] ?? "{}")).toMatchObject({ error: "unauthorized" });
  });

  it("a rolled key works during its grace period only", async () => {
    const { app, key, auth } = await newKey();
    await rollApiKey(harness.db, { actor: { id: null }, appId: app.id, keyId: key.id, gracePeriodSec: 3600, encryptionKey: TEST_ENCRYPTION_KEY });
    expect((await invoke(usageRoute, { headers: auth })).status).toBe(200);
    await harness.db.apiKey.update({ where: { id: key.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await invoke(usageRoute, { headers: auth })).status).toBe(401);
  });

  it("rate-limits per key with 429 and Retry-After, without touching other keys", async () => {
    const { auth } = await newKey();
    const { auth: otherAuth } = await newKey();
    // All at once: sequential calls on a loaded machine are slow enough for the bucket to refill between them.
    const burst = await Promise.all(
      Array.from({ length: RATE_LIMIT_PER_SECOND * 2 + 10 }, () => invoke(tokensRoute, { method: "POST", headers: auth, body: { peerId: "p" } })),
    );
    expect(burst.filter((res) => res.status === 200).length).toBeGreaterThanOrEqual(RATE_LIMIT_PER_SECOND * 2);
    const limited = burst.filter((res) => res.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    for (const res of limited) expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await invoke(tokensRoute, { method: "POST", headers: otherAuth, body: { peerId: "p" } })).status).toBe(200);
  });
});

describe("GET /v1/usage", () => {
  it("happy: the PROTOCOL fields plus Tollgate's additions, live numbers from the relay", async () => {
    const { app, auth } = await newKey({ planSlug: "starter" });
    harness.relay.state.concurrentNow = 80;
    harness.relay.state.unflushed = [{ ...unflushedUsage(await harness.relay.periodStartOf(app.id)), messagesAccepted: 12 }];
    const res = await invoke(usageRoute, { headers: auth });
    harness.relay.state.concurrentNow = 0;
    harness.relay.state.unflushed = [];
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      appId: app.id,
      concurrentNow: 80,
      peakConcurrent: 80,
      messagesUsed: 12,
      overageMessages: 0,
      overageConnections: 0,
      plan: { name: "Starter", maxConcurrentConnections: 1000, maxMessagesPerPeriod: 5_000_000, maxPeersPerChannel: null, maxActiveChannels: null, overagesAllowed: true, overagesEnabled: false },
      status: { connections: "healthy", messages: "healthy", channels: "healthy" },
      deliveredMessages: 0,
      egressBytes: 0,
      connectionMinutes: 0,
      overageCostMinor: 0,
      balanceMinor: 0,
      stale: false,
      relayNodes: [{ node: expect.any(String), measuredAt: res.body.measuredAt, stale: false }],
      relayReachable: true,
    });
    expect(res.body.periodEndUnix).toBeGreaterThan(res.body.periodStartUnix as number);
    expect(Math.abs(Date.now() - Date.parse(res.body.measuredAt as string))).toBeLessThan(5_000);
  });

  it("channel limits: the plan fields and the active channels' status against maxActiveChannels (an override here)", async () => {
    const { app, auth } = await newKey({ planSlug: "starter" });
    await harness.db.appLimitOverride.create({ data: { appId: app.id, maxPeersPerChannel: 25, maxActiveChannels: 10 } });
    harness.relay.state.activeChannels = 9;
    try {
      const res = await invoke(usageRoute, { headers: auth });
      expect(res.body).toMatchObject({ activeChannels: 9, plan: { maxPeersPerChannel: 25, maxActiveChannels: 10 }, status: { channels: "critical" } });
    } finally {
      harness.relay.state.activeChannels = 0;
    }
  });

  it("degrades gracefully when the relay is down", async () => {
    const { auth } = await newKey();
    harness.relay.state.down = true;
    const res = await invoke(usageRoute, { headers: auth });
    harness.relay.state.down = false;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ concurrentNow: 0, relayReachable: false });
  });
});

describe("live operations through the relay", () => {
  it("happy: peers, publish and disconnect call the relay's internal endpoints for the key's app", async () => {
    const { app, auth } = await newKey();
    harness.relay.state.peers["room/1"] = [{ peerId: "a", metadata: { n: 1 } }];
    const peers = await invoke(peersRoute, { headers: auth, params: { channel: "room/1" } });
    expect(peers.body).toEqual({ channel: "room/1", peers: [{ peerId: "a", metadata: { n: 1 } }], nextCursor: null });
    const published = await invoke(publishRoute, { method: "POST", headers: auth, params: { channel: "room/1" }, body: { data: null, from: "server-1" } });
    expect(published.body).toEqual({ channel: "room/1", delivered: 2 });
    const call = harness.relay.calls.at(-1);
    expect(call).toMatchObject({ method: "POST", segments: ["internal", "apps", app.id, "channels", "room/1", "publish"], body: { data: null, from: "server-1" } });
    const closed = await invoke(disconnectRoute, { method: "DELETE", headers: auth, params: { peerId: "user 7" } });
    expect(closed.body).toEqual({ peerId: "user 7", closed: 1 });
  });

  it("happy: peers come a page at a time; following nextCursor walks the whole channel once, in peerId order", async () => {
    const { app, auth } = await newKey();
    const everyone = ["p5", "p1", "p4", "p2", "p3"].map((peerId) => ({ peerId }));
    harness.relay.state.peers["room/paged"] = everyone;
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? "limit=2" : `limit=2&cursor=${encodeURIComponent(cursor)}`;
      const page = await invoke<{ channel: string; peers: Array<{ peerId: string }>; nextCursor: string | null }>(peersRoute, { headers: auth, params: { channel: "room/paged" }, path: `/?${query}` });
      expect(page.status).toBe(200);
      expect(page.body.peers.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.peers.map((peer) => peer.peerId));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(seen).toEqual(["p1", "p2", "p3", "p4", "p5"]);
    expect(pages).toBe(3);
    // The page query reached the relay: it pages too, so no side holds the whole roster for one call.
    expect(harness.relay.calls.at(-1)).toMatchObject({ method: "GET", segments: ["internal", "apps", app.id, "channels", "room/paged", "peers"] });
  });

  it("errors: a peers page with a bad limit or a cursor the API did not issue is 400 invalid_request", async () => {
    const { auth } = await newKey();
    const callsBefore = harness.relay.calls.length;
    for (const query of ["limit=0", "limit=1001", "limit=ten", "limit=1.5", "cursor=", "cursor=not%2Fbase64", "cursor=AA"]) {
      const response = await invoke(peersRoute, { headers: auth, params: { channel: "room/1" }, path: `/?${query}` });
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect(response.body).toMatchObject({ error: "invalid_request" });
    }
    expect(harness.relay.calls.length).toBe(callsBefore);
  });

  it("happy: the history comes a page at a time from the relay, newest page first, following nextBefore back", async () => {
    const { app, auth } = await newKey();
    harness.relay.state.history["room/kept"] = [1, 2, 3, 4, 5].map((offset) => ({ offset, from: "writer", data: { n: offset }, publishedAt: 1_700_000_000_000 + offset }));
    const first = await invoke<{ epoch: string | null; messages: Array<{ offset: number; data: unknown }>; nextBefore: number | null }>(historyRoute, { headers: auth, params: { channel: "room/kept" }, path: "/?limit=2" });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ channel: "room/kept", epoch: "fake-epoch", nextBefore: 4 });
    expect(first.body.messages.map((message) => message.offset)).toEqual([4, 5]);
    expect(harness.relay.calls.at(-1)).toMatchObject({ method: "GET", segments: ["internal", "apps", app.id, "channels", "room/kept", "history"], query: "limit=2" });
    const last = await invoke<{ messages: Array<{ offset: number }>; nextBefore: number | null }>(historyRoute, { headers: auth, params: { channel: "room/kept" }, path: "/?limit=10&before=4" });
    expect(last.body.messages.map((message) => message.offset)).toEqual([1, 2, 3]);
    expect(last.body.nextBefore).toBeNull();
    expect((await invoke(historyRoute, { headers: auth, params: { channel: "room/empty" } })).body).toEqual({ channel: "room/empty", epoch: null, messages: [], nextBefore: null });
  });

  it("errors: a history page with a bad limit or before is 400 before the relay is called; without subscribe or outside the key's channels 403", async () => {
    const { auth } = await newKey({ channelPatterns: ["public/*"], actions: ["publish"] });
    const { auth: reader } = await newKey({ channelPatterns: ["public/*"] });
    const callsBefore = harness.relay.calls.length;
    for (const query of ["limit=0", `limit=${HistoryLimits.maxSize + 1}`, "limit=ten", "before=0", "before=-1", "before=2.5", "before=x"]) {
      const response = await invoke(historyRoute, { headers: reader, params: { channel: "public/a" }, path: `/?${query}` });
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect(response.body).toMatchObject({ error: "invalid_request" });
    }
    expect((await invoke(historyRoute, { headers: auth, params: { channel: "public/a" } })).body).toMatchObject({ error: "action_not_permitted" });
    expect((await invoke(historyRoute, { headers: reader, params: { channel: "private/a" } })).body).toMatchObject({ error: "channel_not_authorized" });
    expect((await invoke(historyRoute, { headers: reader, params: { channel: "_internal/a" } })).status).toBe(400);
    expect(harness.relay.calls.length).toBe(callsBefore);
  });

  it("errors: publish without data is 400; a quota-dropped publish is 429; relay down is 503", async () => {
    const { auth } = await newKey();
    const noData = await invoke(publishRoute, { method: "POST", headers: auth, params: { channel: "c" }, body: { from: "x" } });
    expect(noData.status).toBe(400);
    expect(noData.body).toMatchObject({ error: "invalid_request", field: "data" });
    harness.relay.state.quotaExhausted = true;
    const dropped = await invoke(publishRoute, { method: "POST", headers: auth, params: { channel: "c" }, body: { data: 1 } });
    harness.relay.state.quotaExhausted = false;
    expect(dropped.status).toBe(429);
    expect(dropped.headers.get("retry-after")).toBeTruthy();
    harness.relay.state.down = true;
    const down = await invoke(publishRoute, { method: "POST", headers: auth, params: { channel: "c" }, body: { data: 1 } });
    harness.relay.state.down = false;
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ error: "internal_error" });
  });

  it("errors: an app the relay has not loaded yet has no peers and nobody to disconnect", async () => {
    const { app, auth } = await newKey();
    harness.relay.state.unknownApps.add(app.id);
    expect((await invoke(peersRoute, { headers: auth, params: { channel: "c" } })).body).toEqual({ channel: "c", peers: [], nextCursor: null });
    expect((await invoke(disconnectRoute, { method: "DELETE", headers: auth, params: { peerId: "p" } })).body).toEqual({ peerId: "p", closed: 0 });
    expect((await invoke(usageRoute, { headers: auth })).body).toMatchObject({ concurrentNow: 0, relayReachable: true });
    const publish = await invoke(publishRoute, { method: "POST", headers: auth, params: { channel: "c" }, body: { data: 1 } });
    expect(publish.status).toBe(503);
  });

  it("security: channel patterns and actions of the key are enforced before the relay is called", async () => {
    const { auth } = await newKey({ channelPatterns: ["public/*"], actions: ["subscribe"] });
    const callsBefore = harness.relay.calls.length;
    const noPresence = await invoke(peersRoute, { headers: auth, params: { channel: "public/a" } });
    expect(noPresence.status).toBe(403);
    expect(noPresence.body).toMatchObject({ error: "action_not_permitted" });
    const noPublish = await invoke(publishRoute, { method: "POST", headers: auth, params: { channel: "public/a" }, body: { data: 1 } });
    expect(noPublish.body).toMatchObject({ error: "action_not_permitted" });
    const { auth: scoped } = await newKey({ channelPatterns: ["public/*"] });
    const outside = await invoke(publishRoute, { method: "POST", headers: scoped, params: { channel: "private/a" }, body: { data: 1 } });
    expect(outside.status).toBe(403);
    expect(outside.body).toMatchObject({ error: "channel_not_authorized" });
    const reserved = await invoke(peersRoute, { headers: scoped, params: { channel: "_internal/x" } });
    expect(reserved.status).toBe(400);
    expect(reserved.body).toMatchObject({ error: "channel_reserved" });
    const badPeer = await invoke(disconnectRoute, { method: "DELETE", headers: scoped, params: { peerId: "x".repeat(129) } });
    expect(badPeer.status).toBe(400);
    expect(harness.relay.calls.length).toBe(callsBefore);
  });
});

describe("GET /v1/openapi.json", () => {
  it("is an OpenAPI 3.1 document whose schemas come from the handlers' zod schemas", async () => {
    const res = await invoke<{ openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> } }>(openApiRoute, {
      path: "/v1/openapi.json",
    });
    expect(res.body.openapi).toBe("3.1.0");
    expect(Object.keys(res.body.paths).sort()).toEqual(["/v1/channels/{channel}/history", "/v1/channels/{channel}/peers", "/v1/channels/{channel}/publish", "/v1/peers/{peerId}", "/v1/tokens", "/v1/usage"]);
    const mint = res.body.components.schemas.MintTokenRequest;
    expect(mint?.required).toEqual(["peerId"]);
    expect(Object.keys(mint?.properties ?? {})).toEqual(expect.arrayContaining(["peerId", "channels", "permissions", "expiresInSec", "metadata", "peerMetadata"]));
    // Every string a request takes shows its maximum, from the relay protocol's limits.
    expect(mint?.properties).toMatchObject({
      peerId: { maxLength: Limits.maxPeerIdBytes },
      channels: { maxItems: Limits.maxTokenChannels, items: { maxLength: Limits.maxChannelNameBytes } },
      metadata: { propertyNames: { maxLength: Limits.maxMetadataBytes }, description: expect.stringContaining(String(Limits.maxMetadataBytes)) },
    });
    const publish = res.body.components.schemas.PublishRequest;
    expect(publish?.properties).toMatchObject({ from: { maxLength: Limits.maxPeerIdBytes } });
    expect(Object.keys(res.body.components.schemas.Usage?.properties ?? {})).toEqual(expect.arrayContaining(["concurrentNow", "overageCostMinor", "status"]));
    // The accepted/refused rule (PROTOCOL §6) is documented where API clients read it.
    const usageProperties = (res.body.components.schemas.Usage?.properties ?? {}) as Record<string, { description?: string }>;
    expect(usageProperties.messagesUsed?.description).toMatch(/^Accepted publish\/send/);
    expect(usageProperties.softDrops?.description).toMatch(/refused|not counted in messagesUsed/i);
  });
});
