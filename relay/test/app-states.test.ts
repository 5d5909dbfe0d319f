// A relay holds only the apps it serves (docs/ARCHITECTURE.md §1): an app's state is looked up on its
// first connect (one lookup however many connect at once), dropped after the linger once its last
// connection left, unknown keys are remembered briefly, changes arrive through the change feed (only for
// apps held, within the poll interval), a restarted relay catches up from its cursor, and an app first
// seen during an outage is refused with 1013 while held ones keep being served.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CloseCode } from "../src/protocol";
import type { SnapshotApp } from "../src/protocol";
import type { RelayHandle } from "../src/server";
import { FakeControlPlane, TestClient, appFixture, expectRefused, firstPublishableKey, firstSecretKey, mintToken, removeTempDirs, sleep, startTestRelay, tempDataDir } from "./helpers";

const POLL_MS = 200;
let controlPlane: FakeControlPlane;
const relays: RelayHandle[] = [];
const openClients: TestClient[] = [];

async function start(overrides: Parameters<typeof startTestRelay>[1] = {}): Promise<RelayHandle> {
  const relay = await startTestRelay(controlPlane, { planCacheRefreshMs: POLL_MS, ...overrides });
  relays.push(relay);
  return relay;
}

function addApp(overrides: Parameters<typeof appFixture>[0] = {}): SnapshotApp {
  const app = appFixture(overrides);
  controlPlane.setApps([...controlPlane.apps, app]);
  return app;
}

async function connect(relay: RelayHandle, app: SnapshotApp): Promise<TestClient> {
  const client = await TestClient.connect(relay, `token=${await mintToken(firstSecretKey(app))}`);
  openClients.push(client);
  await client.waitFor((frame) => frame.type === "welcome");
  return client;
}

/** App-state requests that named this app or one of its keys. */
function lookupsOf(app: SnapshotApp): number {
  const names = new Set([app.appId, ...app.keys.map((key) => key.keyId)]);
  return controlPlane.appStateRequestsFor.filter((name) => names.has(name)).length;
}

beforeAll(async () => {
  controlPlane = await new FakeControlPlane().start();
});

afterEach(() => {
  controlPlane.down = false;
  controlPlane.appStateDelayMs = 0;
  for (const client of openClients.splice(0)) client.close();
});

afterAll(async () => {
  await Promise.all(relays.map((relay) => relay.close()));
  await controlPlane.stop();
  await removeTempDirs();
});

describe("state on demand", () => {
  it("a relay starts holding nothing, and the first connects of an app share one lookup", async () => {
    const app = addApp();
    const relay = await start();
    expect(lookupsOf(app)).toBe(0);
    controlPlane.appStateDelayMs = 150;
    const tokens = await Promise.all(Array.from({ length: 5 }, () => mintToken(firstSecretKey(app))));
    const clients = await Promise.all(tokens.map((token) => TestClient.connect(relay, `token=${token}`)));
    openClients.push(...clients);
    for (const client of clients) expect((await client.waitFor((frame) => frame.type === "welcome")).type).toBe("welcome");
    expect(lookupsOf(app)).toBe(1);
    // Its publishable key is held too: no lookup.
    const publishable = await TestClient.connect(relay, `key=${firstPublishableKey(app).keyId}`);
    openClients.push(publishable);
    expect((await publishable.waitFor((frame) => frame.type === "welcome")).type).toBe("welcome");
    expect(lookupsOf(app)).toBe(1);
  });

  it("drops an app once its last connection has been gone for the linger time, and looks it up again on the next connect", async () => {
    const app = addApp();
    const relay = await start({ timing: { appLingerMs: 300 } });
    const client = await connect(relay, app);
    await sleep(700);
    // Connected throughout: still held.
    await connect(relay, app);
    expect(lookupsOf(app)).toBe(1);
    for (const open of openClients.splice(0)) open.close();
    await client.closed;
    await sleep(900);
    await connect(relay, app);
    expect(lookupsOf(app)).toBe(2);
  });

  it("an unknown key costs one lookup, then is refused from memory until the negative cache expires", async () => {
    const relay = await start({ timing: { unknownKeyCacheMs: 500 } });
    const before = controlPlane.appStateRequests;
    const refused = await Promise.all(Array.from({ length: 5 }, () => expectRefused(`${relay.url}/v1?key=pk_live_never_created`)));
    expect(refused).toEqual(Array.from({ length: 5 }, () => CloseCode.InvalidToken));
    expect(await expectRefused(`${relay.url}/v1?key=pk_live_never_created`)).toBe(CloseCode.InvalidToken);
    expect(controlPlane.appStateRequests - before).toBe(1);
    // Anything that is not a key id is refused without a lookup.
    expect(await expectRefused(`${relay.url}/v1?key=${"x".repeat(200)}`)).toBe(CloseCode.InvalidToken);
    expect(controlPlane.appStateRequests - before).toBe(1);
    await sleep(600);
    expect(await expectRefused(`${relay.url}/v1?key=pk_live_never_created`)).toBe(CloseCode.InvalidToken);
    expect(controlPlane.appStateRequests - before).toBe(2);
  });
});

describe("the change feed", () => {
  it("a plan limit edit, a suspension and a key revoke reach a relay holding the app within the poll interval; a relay not holding it asks for nothing", async () => {
    const app = addApp({ limits: { maxConcurrentConnections: 10 } });
    const holding = await start();
    const idle = await start();
    const first = await connect(holding, app);
    const idleLookups = () => controlPlane.appStateRequestsFor.length;
    const before = idleLookups();

    controlPlane.update(app.appId, (a) => (a.limits.maxConcurrentConnections = 1));
    // Within the poll interval (and the poll's own round trips): no notice reaches these relays.
    await sleep(POLL_MS + 150);
    expect(await expectRefused(`${holding.url}/v1?token=${await mintToken(firstSecretKey(app))}`)).toBe(CloseCode.OverConcurrentLimit);
    // Only the holding relay asked (once for the change, none for the refused connects).
    expect(idleLookups() - before).toBe(1);

    const key = firstSecretKey(app);
    controlPlane.update(app.appId, (a) => {
      a.limits.maxConcurrentConnections = 10;
      const revoked = a.keys.find((k) => k.keyId === key.keyId);
      if (revoked) revoked.revoked = true;
    });
    expect((await first.closed).code).toBe(CloseCode.InvalidToken);

    const other = addApp();
    const otherClient = await connect(holding, other);
    controlPlane.update(other.appId, (a) => (a.status = "suspended"));
    expect((await otherClient.closed).code).toBe(CloseCode.AppSuspended);
    expect(await idle.refreshNow()).toBe(true);
    // One lookup per change and one for the other app's first connect, all from the holding relay.
    expect(idleLookups() - before).toBe(4);
  });

  it("a restarted relay catches up from its cursor on disk: a change made while it was down is applied to what it held", async () => {
    const app = addApp({ limits: { maxMessagesPerPeriod: 100 } });
    const dataDir = await tempDataDir();
    const first = await start({ dataDir });
    (await connect(first, app)).close();
    await first.close();
    controlPlane.update(app.appId, (a) => (a.status = "suspended"));
    const second = await start({ dataDir });
    expect(await expectRefused(`${second.url}/v1?token=${await mintToken(firstSecretKey(app))}`)).toBe(CloseCode.AppSuspended);
  });
});

describe("outages", () => {
  it("held apps keep being served; an app first seen during the outage is refused with 1013, and admitted once the control plane is back", async () => {
    const held = addApp();
    const unseen = addApp();
    const relay = await start();
    await connect(relay, held);
    controlPlane.down = true;
    expect(await relay.refreshNow()).toBe(false);
    expect((await connect(relay, held)).closeCode).toBeNull();
    expect(await expectRefused(`${relay.url}/v1?token=${await mintToken(firstSecretKey(unseen))}`)).toBe(CloseCode.TryAgainLater);
    expect((await fetch(`${relay.httpUrl}/readyz`)).status).toBe(200);
    controlPlane.down = false;
    expect((await connect(relay, unseen)).closeCode).toBeNull();
  });
});
