// Clients that open connections and never finish their request (slowloris): each source address may
// hold only so many connections that have not yet sent a whole request, and a request not finished in
// time is answered 408 and closed, so a stranger cannot tie up the relay's sockets. Other addresses,
// and everyone once a request is complete, are unaffected.
import { connect } from "node:net";
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SnapshotApp } from "../src/protocol";
import type { RelayHandle } from "../src/server";
import { FakeControlPlane, TestClient, appFixture, firstSecretKey, mintToken, removeTempDirs, sleep, startTestRelay } from "./helpers";

const MAX_PENDING = 5;
const HANDSHAKE_TIMEOUT_MS = 600;
let controlPlane: FakeControlPlane;
let relay: RelayHandle;
let app: SnapshotApp;
const sockets: Socket[] = [];

beforeAll(async () => {
  controlPlane = await new FakeControlPlane().start();
  app = appFixture();
  controlPlane.setApps([app]);
  relay = await startTestRelay(controlPlane, { maxPendingRequestsPerIp: MAX_PENDING, timing: { handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS } });
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await relay.close();
  await controlPlane.stop();
  await removeTempDirs();
});

/** A connection from `localAddress` that sends the start of an upgrade request and then nothing. */
function stalledRequest(localAddress: string): Promise<{ socket: Socket; closed: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port: relay.port, host: "127.0.0.1", localAddress }, () => {
      socket.write("GET /v1?token=x HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n");
      let answer = "";
      socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
      const closed = new Promise<string>((done) => socket.once("close", () => done(answer)));
      resolve({ socket, closed });
    });
    socket.once("error", reject);
    sockets.push(socket);
  });
}

describe("stalled requests", () => {
  it("each address holds at most maxPendingRequestsPerIp unfinished requests; another address and finished requests are unaffected", async () => {
    const stalled = await Promise.all(Array.from({ length: MAX_PENDING + 4 }, () => stalledRequest("127.0.0.3")));
    await sleep(150);
    const open = stalled.filter(({ socket }) => !socket.destroyed && socket.readyState === "open");
    expect(open).toHaveLength(MAX_PENDING);

    // A client from another address connects as usual.
    const other = new TestClient(`${relay.url}/v1?token=${await mintToken(firstSecretKey(app))}`, { localAddress: "127.0.0.4" });
    expect((await other.waitFor((f) => f.type === "welcome")).type).toBe("welcome");
    other.ws.close();
    // Upgraded connections do not count against their address: more than the cap may be open at once.
    const clients = await Promise.all(
      Array.from({ length: MAX_PENDING + 2 }, async () => {
        const client = new TestClient(`${relay.url}/v1?token=${await mintToken(firstSecretKey(app))}`, { localAddress: "127.0.0.5" });
        await client.waitFor((f) => f.type === "welcome");
        return client;
      }),
    );
    expect(clients).toHaveLength(MAX_PENDING + 2);
    for (const client of clients) client.ws.close();
    for (const { socket } of stalled) socket.destroy();
  });

  it("a request not finished within the handshake timeout is answered 408 and closed, which frees its address's slot", async () => {
    const startedAt = Date.now();
    const { closed } = await stalledRequest("127.0.0.6");
    const answer = await closed;
    const waitedMs = Date.now() - startedAt;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(waitedMs).toBeGreaterThanOrEqual(HANDSHAKE_TIMEOUT_MS - 50);
    expect(waitedMs).toBeLessThan(HANDSHAKE_TIMEOUT_MS + 3_000);
    const fresh = await Promise.all(Array.from({ length: MAX_PENDING }, () => stalledRequest("127.0.0.6")));
    await sleep(150);
    expect(fresh.filter(({ socket }) => !socket.destroyed).length).toBe(MAX_PENDING);
  });
});
