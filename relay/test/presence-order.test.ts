// A new subscriber's first presence frame for a channel is its roster, even when someone else's join is
// announced while its own join is still on its way to the shared presence store (a slow Redis, say):
// that join is held and follows the roster, instead of arriving first as a live join of a peer the
// roster then lists again.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RelayHandle } from "../src/server";
import { FakeControlPlane, TestClient, appFixture, firstSecretKey, memoryStateWithSlowJoins, mintToken, removeTempDirs, sleep, startTestRelay } from "./helpers";

const SLOW_JOIN_MS = 100;

let controlPlane: FakeControlPlane;
let relay: RelayHandle;
const clients: TestClient[] = [];

beforeAll(async () => {
  controlPlane = await new FakeControlPlane().start();
  // Every join takes a while to reach the store, as it does over a network.
  relay = await startTestRelay(controlPlane, {}, { state: memoryStateWithSlowJoins(() => sleep(SLOW_JOIN_MS)) });
});

afterAll(async () => {
  for (const client of clients) client.close();
  await relay.close();
  await controlPlane.stop();
  await removeTempDirs();
});

it("holds a join announced while the subscriber's own join is pending until its roster's first page", async () => {
  const app = appFixture();
  controlPlane.setApps([app]);
  await relay.refreshNow();
  const connect = async (sub: string) => {
    const client = await TestClient.connect(relay, `token=${await mintToken(firstSecretKey(app), { sub })}`);
    clients.push(client);
    return client;
  };
  const alice = await connect("alice");
  const bob = await connect("bob");
  alice.send({ type: "subscribe", channel: "room", requestId: "a" });
  // Bob subscribes while alice's join is pending; alice's completes (and is announced) while bob's is.
  await sleep(SLOW_JOIN_MS / 2);
  bob.send({ type: "subscribe", channel: "room", requestId: "b" });
  await bob.waitFor((f) => f.type === "ack" && f.requestId === "b");
  await bob.waitFor((f) => f.type === "presence" && f.roster !== undefined);
  await sleep(50);
  const presence = bob.framesOf("presence");
  expect(presence[0]).toEqual({ type: "presence", channel: "room", joined: [{ peerId: "alice" }], left: [], roster: { page: 1, last: true } });
});
