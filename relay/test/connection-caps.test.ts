// Node-wide and per-peer bounds on sockets: connections that have not finished their request (past the
// node-wide cap the oldest of the address holding the most makes room), upgraded connections (past the
// node's cap: 503 with Retry-After before any handshake) and the connections of one peerId (past
// Limits.maxConnectionsPerPeer: close 4010 too_many_peer_connections, without taking a lease).
import { connect } from "node:net";
import type { Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { CloseCode, Disconnect, Limits } from "../src/protocol";
import type { SnapshotApp } from "../src/protocol";
import type { RelayHandle } from "../src/server";
import { FakeControlPlane, TestClient, appFixture, eventually, firstSecretKey, mintToken, removeTempDirs, sleep, startTestRelay } from "./helpers";

let controlPlane: FakeControlPlane;
const relays: RelayHandle[] = [];
const sockets: Socket[] = [];
const clients: TestClient[] = [];

beforeAll(async () => {
  controlPlane = await new FakeControlPlane().start();
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const client of clients.splice(0)) client.close();
  await Promise.all(relays.splice(0).map((relay) => relay.close()));
});

afterAll(async () => {
  await controlPlane.stop();
  await removeTempDirs();
});

async function relayFor(app: SnapshotApp, overrides: Parameters<typeof startTestRelay>[1] = {}): Promise<RelayHandle> {
  controlPlane.setApps([app]);
  const relay = await startTestRelay(controlPlane, overrides);
  relays.push(relay);
  return relay;
}

async function tokenUrl(relay: RelayHandle, app: SnapshotApp, sub?: string): Promise<string> {
  return `${relay.url}/v1?token=${await mintToken(firstSecretKey(app), sub === undefined ? {} : { sub })}`;
}

async function welcomed(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<TestClient> {
  const client = new TestClient(url, options);
  clients.push(client);
  await client.waitFor((frame) => frame.type === "welcome");
  return client;
}

/** A connection from `localAddress` that sends the start of an upgrade request and then nothing. */
function stalledRequest(relay: RelayHandle, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port: relay.port, host: "127.0.0.1", localAddress }, () => {
      socket.write("GET /v1?token=x HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n");
      resolve(socket);
    });
    socket.once("error", reject);
    sockets.push(socket);
  });
}

function isOpen(socket: Socket): boolean {
  return !socket.destroyed && socket.readyState === "open";
}

/** The HTTP answer to an upgrade the relay refuses before the handshake. */
function refusedUpgrade(url: string): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("unexpected-response", (_req, res) => {
      resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] });
      ws.terminate();
    });
    ws.once("open", () => {
      ws.close();
      reject(new Error("the upgrade was accepted"));
    });
    ws.on("error", () => undefined);
  });
}

describe("node-wide cap on connections that have not finished their request", () => {
  it("past it, the oldest pending socket of the address holding the most is closed, so a new client still connects", async () => {
    const app = appFixture();
    const relay = await relayFor(app, { maxPendingConnections: 6, maxPendingRequestsPerIp: 5 });
    const flood: Socket[] = [];
    for (let index = 0; index < 5; index += 1) flood.push(await stalledRequest(relay, "127.0.0.21"));
    const bystander = await stalledRequest(relay, "127.0.0.22");
    await sleep(100);
    expect([...flood, bystander].every(isOpen)).toBe(true);

    await welcomed(await tokenUrl(relay, app), { localAddress: "127.0.0.23" });
    await eventually(() => expect(flood[0]?.destroyed).toBe(true));
    expect(flood.slice(1).every(isOpen)).toBe(true);
    expect(isOpen(bystander)).toBe(true);
  });
});

describe("node-wide cap on connections", () => {
  it("past it an upgrade is answered 503 with Retry-After before the handshake; a closed connection frees its slot", async () => {
    const app = appFixture();
    const relay = await relayFor(app, { maxConnections: 3 });
    const open = [await welcomed(await tokenUrl(relay, app)), await welcomed(await tokenUrl(relay, app)), await welcomed(await tokenUrl(relay, app))];

    const refused = await refusedUpgrade(await tokenUrl(relay, app));
    expect(refused.status).toBe(503);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);

    open[0]?.close();
    await open[0]?.closed;
    await eventually(() => expect(relay.connectionCount()).toBe(2));
    await welcomed(await tokenUrl(relay, app));
  });
});

describe("cap on the connections of one peerId", () => {
  it(`the connection past ${Limits.maxConnectionsPerPeer} of one peerId is closed 4010 too_many_peer_connections, takes no lease, and leaves other peers alone`, async () => {
    // Room in the app for the peer's connections and one more: a lease taken by the refused one would fill it.
    const app = appFixture({ limits: { maxConcurrentConnections: Limits.maxConnectionsPerPeer + 1 } });
    const relay = await relayFor(app);
    const peerUrl = await tokenUrl(relay, app, "many-tabs");
    const tabs = await Promise.all(Array.from({ length: Limits.maxConnectionsPerPeer }, () => welcomed(peerUrl)));

    const oneTooMany = new TestClient(peerUrl);
    clients.push(oneTooMany);
    const closed = await Promise.race([oneTooMany.closed, sleep(3_000).then(() => "still open")]);
    expect(closed).toEqual({ code: CloseCode.OverConcurrentLimit, reason: Disconnect.TooManyPeerConnections.reason });
    expect(oneTooMany.framesOf("welcome")).toHaveLength(0);

    const otherPeer = await welcomed(await tokenUrl(relay, app, "another-peer"));
    otherPeer.close();
    await otherPeer.closed;
    expect(tabs.every((tab) => tab.closeCode === null)).toBe(true);

    tabs[0]?.close();
    await tabs[0]?.closed;
    await eventually(() => expect(relay.connectionCount()).toBe(Limits.maxConnectionsPerPeer - 1));
    await welcomed(peerUrl);
  });
});
