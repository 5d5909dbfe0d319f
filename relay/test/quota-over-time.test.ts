// The quota over time on one relay node: steady traffic across many usage flushes (200 ms) and
// app-state refreshes (500 ms) gets exactly the plan's quota accepted, what the control plane recorded
// equals what the clients saw, and over-cap connections on a paid plan stop exactly where the
// balance runs out. Short-lived tests (a handful of messages inside one flush) cannot see a count
// that falls back after an acknowledgement; these cross the timers dozens of times.
import { describe, expect, it } from "vitest";
import { CloseCode } from "../src/protocol";
import type { SnapshotApp } from "../src/protocol";
import type { RelayHandle } from "../src/server";
import { FakeControlPlane, TestClient, appFixture, eventually, firstSecretKey, mintToken, sleep } from "./helpers";
import { publishSteadily } from "./steady-traffic";
import { relayPerFile } from "./relay-per-file";

const USAGE_FLUSH_MS = 200;
const PLAN_CACHE_REFRESH_MS = 500;

let controlPlane: FakeControlPlane;
let relay: RelayHandle;
const openClients = relayPerFile((running) => ({ controlPlane, relay } = running), { config: { usageFlushMs: USAGE_FLUSH_MS, planCacheRefreshMs: PLAN_CACHE_REFRESH_MS } });

async function addApp(overrides: Parameters<typeof appFixture>[0]): Promise<SnapshotApp> {
  const app = appFixture(overrides);
  controlPlane.setApps([...controlPlane.apps, app]);
  await relay.refreshNow();
  return app;
}

async function connect(app: SnapshotApp): Promise<TestClient> {
  const client = await TestClient.connect(relay, `token=${await mintToken(firstSecretKey(app))}`);
  openClients.push(client);
  return client;
}

describe("the message quota under steady traffic on one node", () => {
  it("accepts exactly the quota across many flushes and app-state refreshes; refused messages do not count", async () => {
    const quota = 300;
    const app = await addApp({ limits: { maxMessagesPerPeriod: quota } });
    const clients = await Promise.all(Array.from({ length: 4 }, () => connect(app)));
    const flushesBefore = controlPlane.attemptedBatchIds.length;
    const statesBefore = controlPlane.appStateRequests;
    // 4 clients × 40/s for 5 s: 800 publishes, the quota is used up after about 2 s.
    const crossed = () => ({ flushes: controlPlane.attemptedBatchIds.length - flushesBefore, refreshes: controlPlane.appStateRequests - statesBefore });
    // The app changes in the feed at every poll, so each poll asks for its state (and usage baseline) again.
    const changing = setInterval(() => controlPlane.update(app.appId, () => undefined), PLAN_CACHE_REFRESH_MS);
    const tally = await publishSteadily(clients, {
      ratePerSecond: 40,
      durationMs: 5_000,
      keepGoing: () => crossed().flushes < 10 || crossed().refreshes < 5,
    }).finally(() => clearInterval(changing));
    expect(crossed().flushes).toBeGreaterThanOrEqual(10);
    expect(crossed().refreshes).toBeGreaterThanOrEqual(5);
    expect(tally.other).toBe(0);
    expect(tally.accepted).toBe(quota);
    expect(tally.sent).toBeGreaterThanOrEqual(2 * quota);
    expect(tally.refused).toBe(tally.sent - quota);
    // The control plane's messagesUsed counts accepted messages only; refusals are soft drops. (A flush
    // already under way may have been cut before the last answers: the next one carries them.)
    await eventually(() => expect(controlPlane.applied(app.appId)).toMatchObject({ messagesAccepted: quota, softDrops: tally.refused }), 10_000);
    expect(controlPlane.apps.find((a) => a.appId === app.appId)?.usage.messagesUsed).toBe(quota);
  });

  it("a quota that starts part-used by earlier traffic is honoured exactly after a restart's baseline", async () => {
    const quota = 250;
    const app = await addApp({ limits: { maxMessagesPerPeriod: quota }, usage: { messagesUsed: 100 } });
    const clients = await Promise.all(Array.from({ length: 3 }, () => connect(app)));
    const tally = await publishSteadily(clients, { ratePerSecond: 30, durationMs: 4_000 });
    expect(tally.accepted).toBe(quota - 100);
    expect(tally.accepted + tally.refused).toBe(tally.sent);
  });
});

describe("over-cap connections on a paid plan under steady churn", () => {
  it("admits exactly as many overage connections as the balance pays for, across flushes and refreshes", async () => {
    const pricePerConnectionMinor = 10;
    const affordable = 6;
    const cap = 2;
    const app = await addApp({
      limits: { maxConcurrentConnections: cap },
      billing: { overagesAllowed: true, overagesEnabled: true, balanceMinor: affordable * pricePerConnectionMinor, overagePricePerConnectionMinor: pricePerConnectionMinor },
    });
    const holders = await Promise.all(Array.from({ length: cap }, () => connect(app)));
    expect(holders).toHaveLength(cap);
    // One over-cap attempt every 150 ms for 4 s; each admitted one stays 300 ms, then leaves.
    let admitted = 0;
    let refused = 0;
    const visits: Array<Promise<void>> = [];
    const token = await mintToken(firstSecretKey(app));
    for (let attempt = 0; attempt < 26; attempt++) {
      const client = new TestClient(`${relay.url}/v1?token=${token}`);
      visits.push(
        Promise.race([client.waitFor((f) => f.type === "welcome", 10_000).then(() => "welcome" as const), client.closed.then(() => "closed" as const)]).then(async (outcome) => {
          if (outcome === "welcome") {
            admitted += 1;
            await sleep(300);
            client.close();
          } else {
            expect(client.closeCode).toBe(CloseCode.OverConcurrentLimit);
            refused += 1;
          }
        }),
      );
      await sleep(150);
    }
    await Promise.all(visits);
    expect(admitted).toBe(affordable);
    expect(refused).toBe(26 - affordable);
    await eventually(() => expect(controlPlane.applied(app.appId).overageConnections).toBe(affordable), 10_000);
    expect(controlPlane.apps.find((a) => a.appId === app.appId)?.billing.balanceMinor).toBe(0);
  });
});
