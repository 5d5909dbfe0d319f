// The relay's internal endpoints (RelayInternalPath) the control plane calls, plus health,
// readiness and metrics.
import { describe, expect, it } from "vitest";
import { CloseCode, Disconnect, InternalApiError, Limits, RelayInternalPath, channelPeersResponseSchema, relayConnectionsResponseSchema, relayStatsResponseSchema } from "../src/protocol";
import type { RelayHandle } from "../src/server";
import { FakeControlPlane, METRICS_TOKEN, RELAY_SECRET, TestClient, appFixture, eventually, fetchMetrics, firstSecretKey, internalHeaders, mintToken, startTestRelay } from "./helpers";
import { relayPerFile } from "./relay-per-file";

let controlPlane: FakeControlPlane;
let relay: RelayHandle;
const app = appFixture({ usage: { messagesUsed: 7, peakConcurrent: 1, overageMessages: 0, overageConnections: 0 } });
relayPerFile((running) => ({ controlPlane, relay } = running), { apps: [app] });

const get = (path: string, headers: Record<string, string> = internalHeaders()) => fetch(relay.httpUrl + path, { headers });

describe("internal endpoints", () => {
  it("refuse a missing or wrong relay secret with 401", async () => {
    expect((await get(RelayInternalPath.stats(app.appId), {})).status).toBe(401);
    expect((await get(RelayInternalPath.stats(app.appId), { authorization: "Bearer wrong" })).status).toBe(401);
    expect(await (await get(RelayInternalPath.stats(app.appId), {})).json()).toMatchObject({ error: "unauthorized" });
  });

  it("a plan-change notice refreshes the plan cache at once: a suspended app's client is closed with 4012 long before the 60 s poll", async () => {
    const post = (headers: Record<string, string>, body: unknown = { kind: "app", appId: suspended.appId, atUnixMs: Date.now() }) =>
      fetch(relay.httpUrl + RelayInternalPath.planChanged, { method: "POST", headers, body: JSON.stringify(body) });
    const suspended = appFixture();
    expect((await post({})).status).toBe(401);
    expect((await post(internalHeaders(), { kind: 7 })).status).toBe(400);
    controlPlane.setApps([app, suspended]);
    await relay.refreshNow();
    const client = await TestClient.connect(relay, `token=${await mintToken(firstSecretKey(suspended))}`);
    controlPlane.update(suspended.appId, (a) => {
      a.status = "suspended";
    });
    expect((await post(internalHeaders())).status).toBe(202);
    expect(await client.closeCodeWithin()).toBe(CloseCode.AppSuspended);
  });

  it("answer 404 for an unknown app or route", async () => {
    const unknownApp = await get(RelayInternalPath.stats("app_nope"));
    expect(unknownApp.status).toBe(404);
    expect(await unknownApp.json()).toMatchObject({ error: InternalApiError.UnknownApp });
    const unknownRoute = await get(`/internal/apps/${app.appId}/nothing`);
    expect(unknownRoute.status).toBe(404);
    expect(await unknownRoute.json()).toMatchObject({ error: InternalApiError.NotFound });
  });

  it("report stats: the period counted in, concurrentNow, peakConcurrent and messagesUsed from the baseline, and the node's counts not yet flushed", async () => {
    const a = await TestClient.connect(relay, `token=${await mintToken(firstSecretKey(app))}`);
    const b = await TestClient.connect(relay, `token=${await mintToken(firstSecretKey(app))}`);
    await b.request({ type: "subscribe", channel: "c" });
    await a.request({ type: "publish", channel: "c", data: 1 });
    await b.waitFor((frame) => frame.type === "message");
    const stats = relayStatsResponseSchema.parse(await (await get(RelayInternalPath.stats(app.appId))).json());
    expect(stats).toEqual({
      appId: app.appId,
      periodStartUnix: app.period.startUnix,
      concurrentNow: 2,
      peakConcurrent: 2,
      messagesUsed: 8,
      nodes: [
        {
          relayId: expect.any(String),
          measuredAtUnixMs: expect.any(Number),
          periodStartUnix: app.period.startUnix,
          connections: 2,
          activeChannels: 1,
          appActiveChannels: 1,
          peakConcurrent: 2,
          unflushed: [expect.objectContaining({ periodStartUnix: app.period.startUnix, messagesAccepted: 1, deliveredMessages: 1, egressBlocks: 1, connectionMinutes: 2 })],
        },
      ],
      allNodesAnswered: true,
    });
    // Once the control plane acknowledged them, the counts are its saved totals, no longer the node's.
    await relay.flushUsage();
    expect(relayStatsResponseSchema.parse(await (await get(RelayInternalPath.stats(app.appId))).json()).nodes[0]?.unflushed).toEqual([]);
    a.close();
    b.close();
    await a.closed;
    await b.closed;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const after = relayStatsResponseSchema.parse(await (await get(RelayInternalPath.stats(app.appId))).json());
    expect(after).toMatchObject({ concurrentNow: 0, peakConcurrent: 2 });
  });

  it("list a channel's peers with metadata; channel names with / are URL-encoded", async () => {
    const alice = await TestClient.connect(relay, `token=${await mintToken(firstSecretKey(app), { sub: "alice", claims: { peerMetadata: { n: 1 } } })}`);
    const bob = await TestClient.connect(relay, `token=${await mintToken(firstSecretKey(app), { sub: "bob" })}`);
    await alice.request({ type: "subscribe", channel: "rooms/a b" });
    await bob.request({ type: "subscribe", channel: "rooms/a b" });
    const path = RelayInternalPath.channelPeers(app.appId, "rooms/a b");
    expect(path).toContain("%2F");
    const body = channelPeersResponseSchema.parse(await (await get(path)).json());
    expect(body.channel).toBe("rooms/a b");
    expect(body.peers.sort((x, y) => x.peerId.localeCompare(y.peerId))).toEqual([{ peerId: "alice", metadata: { n: 1 } }, { peerId: "bob" }]);
    expect(body.nextCursor).toBeNull();
    expect(channelPeersResponseSchema.parse(await (await get(RelayInternalPath.channelPeers(app.appId, "empty"))).json())).toEqual({ channel: "empty", peers: [], nextCursor: null });

    // One page at a time: peerId order, a cursor to the next page, none after the last.
    const first = channelPeersResponseSchema.parse(await (await get(RelayInternalPath.channelPeers(app.appId, "rooms/a b", { limit: 1 }))).json());
    expect(first.peers).toEqual([{ peerId: "alice", metadata: { n: 1 } }]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = channelPeersResponseSchema.parse(await (await get(RelayInternalPath.channelPeers(app.appId, "rooms/a b", { limit: 1, cursor: first.nextCursor ?? "" }))).json());
    expect(second).toEqual({ channel: "rooms/a b", peers: [{ peerId: "bob" }], nextCursor: null });
    alice.close();
    bob.close();
  });

  it("refuse a peers page query with a bad limit or a cursor it did not issue", async () => {
    const base = RelayInternalPath.channelPeers(app.appId, "room").split("?")[0] ?? "";
    for (const query of ["limit=0", "limit=1001", "limit=abc", "limit=2.5", "cursor=", "cursor=%2F%2F", "cursor=AA"]) {
      const response = await get(`${base}?${query}`);
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect(await response.json()).toMatchObject({ error: "invalid_request" });
    }
  });

  it("validate REST publishes: reserved and invalid channels, missing data, bodies over 32 KB", async () => {
    const post = (channel: string, body: string) =>
      fetch(relay.httpUrl + RelayInternalPath.publish(app.appId, channel), { method: "POST", headers: { ...internalHeaders(), "content-type": "application/json" }, body });
    const reserved = await post("_internal/x", JSON.stringify({ data: 1 }));
    expect(reserved.status).toBe(400);
    expect(await reserved.json()).toMatchObject({ error: "channel_reserved" });
    expect((await post("c".repeat(257), JSON.stringify({ data: 1 }))).status).toBe(400);
    expect((await post("ok", JSON.stringify({ from: "x" }))).status).toBe(400);
    expect((await post("ok", "not json")).status).toBe(400);
    const exact = JSON.stringify({ data: "x".repeat(32 * 1024 - 11) });
    expect(exact.length).toBe(32 * 1024);
    expect((await post("ok", exact)).status).toBe(200);
    const tooBig = await post("ok", JSON.stringify({ data: "x".repeat(32 * 1024) }));
    expect(tooBig.status).toBe(413);
  });

  it("list the app's open connections (peer, address, origin, key, since) and its recent closes with code and reason", async () => {
    const inspected = appFixture();
    controlPlane.setApps([app, inspected]);
    await relay.refreshNow();
    const key = firstSecretKey(inspected);
    const before = Date.now();
    const browser = await TestClient.connect(relay, `token=${await mintToken(key, { sub: "alice" })}`, { origin: "https://chat.example" });
    const server = await TestClient.connect(relay, `token=${await mintToken(key, { sub: "bob" })}`);
    const listed = relayConnectionsResponseSchema.parse(await (await get(RelayInternalPath.connections(inspected.appId))).json());
    expect(listed.allNodesAnswered).toBe(true);
    expect(listed.nodes).toHaveLength(1);
    const [node] = listed.nodes;
    expect(node?.open).toBe(2);
    expect(node?.connections.map((c) => ({ peerId: c.peerId, keyId: c.keyId, address: c.address, origin: c.origin }))).toEqual([
      { peerId: "alice", keyId: key.keyId, address: "127.0.0.1", origin: "https://chat.example" },
      { peerId: "bob", keyId: key.keyId, address: "127.0.0.1", origin: null },
    ]);
    expect(node?.connections[0]?.connectedAtUnixMs).toBeGreaterThanOrEqual(before);
    const onePerPage = relayConnectionsResponseSchema.parse(await (await get(RelayInternalPath.connections(inspected.appId, { limit: 1 }))).json());
    expect(onePerPage.nodes[0]).toMatchObject({ open: 2, connections: [{ peerId: "alice" }] });

    // The dashboard's kick: 4020 with the owner's reason; the backend's DELETE keeps its own reason.
    const kicked = await fetch(relay.httpUrl + RelayInternalPath.disconnectPeer(inspected.appId, "alice", "owner"), { method: "DELETE", headers: internalHeaders() });
    expect(await kicked.json()).toEqual({ peerId: "alice", closed: 1 });
    expect(await browser.closed).toEqual({ code: CloseCode.AdminDisconnect, reason: Disconnect.OwnerDisconnect.reason });
    server.close();
    await server.closeCodeWithin();
    await eventually(async () => {
      const after = relayConnectionsResponseSchema.parse(await (await get(RelayInternalPath.connections(inspected.appId))).json());
      expect(after.nodes[0]?.open).toBe(0);
      expect(after.nodes[0]?.recentlyClosed.map((c) => ({ peerId: c.peerId, code: c.code, reason: c.reason }))).toEqual([
        { peerId: "bob", code: 1005, reason: null },
        { peerId: "alice", code: CloseCode.AdminDisconnect, reason: "disconnected_by_owner" },
      ]);
    });
  });

  it("refuse a connections query over the page limit and an unknown disconnect author", async () => {
    expect((await get(`/internal/apps/${app.appId}/connections?limit=${Limits.connectionsMaxLimit + 1}`)).status).toBe(400);
    expect((await get(`/internal/apps/${app.appId}/connections?limit=0`)).status).toBe(400);
    const badBy = await fetch(`${relay.httpUrl}/internal/apps/${app.appId}/peers/alice?by=stranger`, { method: "DELETE", headers: internalHeaders() });
    expect(badBy.status).toBe(400);
    expect((await get(RelayInternalPath.connections("app_nope"))).status).toBe(404);
  });

  it("serve /healthz, /readyz and Prometheus /metrics", async () => {
    expect(await (await fetch(`${relay.httpUrl}/healthz`)).json()).toEqual({ status: "ok" });
    expect((await fetch(`${relay.httpUrl}/readyz`)).status).toBe(200);
    const metrics = await fetchMetrics(relay.httpUrl);
    for (const name of ["relay_connections", "relay_frames_in_total", "relay_frames_out_total", "relay_closes_total", "relay_soft_drops_total", "relay_token_bucket_closes_total", "relay_app_connections", "relay_plan_cache_age_seconds", "relay_usage_flush_lag_seconds"]) {
      expect(metrics).toContain(`# TYPE ${name}`);
    }
    expect(metrics).toMatch(/relay_frames_in_total\{type="publish"\} [1-9]/);
    expect(metrics).toContain(app.appId);
  });

  it("/metrics names every tenant's apps: without the bearer METRICS_TOKEN it answers 401 and shows none", async () => {
    for (const headers of [{} as Record<string, string>, { authorization: "Bearer wrong-token-wrong-token" }, { authorization: `Bearer ${RELAY_SECRET}` }, { authorization: METRICS_TOKEN }]) {
      const response = await fetch(`${relay.httpUrl}/metrics`, { headers });
      expect(response.status).toBe(401);
      const text = await response.text();
      expect(text).not.toContain(app.appId);
      expect(JSON.parse(text)).toMatchObject({ error: "unauthorized" });
    }
  });

  it("/metrics is refused (403) on a relay without METRICS_TOKEN, even with a bearer", async () => {
    const unconfigured = await startTestRelay(controlPlane, { metricsToken: undefined });
    try {
      const response = await fetch(`${unconfigured.httpUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(response.status).toBe(403);
      expect(await response.text()).not.toContain(app.appId);
    } finally {
      await unconfigured.close();
    }
  });
});
