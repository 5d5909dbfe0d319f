// A billing period that ends while the relay runs: the next period's quota is there as soon as the
// period turns (the relay asks for the app's state then), and what happens after
// the turn is counted and billed in the new period. The periods here end a few seconds after the test
// starts, and the fake control plane renews them from its clock as the real one does.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../src/protocol";
import type { SnapshotApp, UsageBatch } from "../src/protocol";
import type { RelayHandle } from "../src/server";
import { FakeControlPlane, TestClient, appFixture, firstSecretKey, mintToken, removeTempDirs, sleep, startTestRelay } from "./helpers";

/** The relay may take this long after a period's end to enforce the next one. */
const TURNOVER_BOUND_MS = 2_500;

let controlPlane: FakeControlPlane;
let relay: RelayHandle;
const openClients: TestClient[] = [];

/** An app whose period ends `secondsLeft` from now and then renews; its periods' starts. */
async function appEndingIn(secondsLeft: number, overrides: Parameters<typeof appFixture>[0]): Promise<{ app: SnapshotApp; endingStart: number; nextStart: number }> {
  const endUnix = Math.floor(Date.now() / 1000) + secondsLeft;
  const app = appFixture({ ...overrides, period: { startUnix: endUnix - 30 * 86_400, endUnix } });
  controlPlane.setApps([...controlPlane.apps, app]);
  controlPlane.renewPeriodsOf(app.appId);
  await relay.refreshNow();
  return { app, endingStart: app.period.startUnix, nextStart: endUnix };
}

async function connect(app: SnapshotApp): Promise<TestClient> {
  const client = await TestClient.connect(relay, `token=${await mintToken(firstSecretKey(app), { expiresInSec: 3_600 })}`);
  openClients.push(client);
  return client;
}

/** Publishes every 100 ms until one is accepted; returns when, or throws after `deadlineMs`. */
async function firstAcceptedPublish(client: TestClient, deadlineMs: number): Promise<number> {
  while (Date.now() < deadlineMs) {
    const answer = await client.request({ type: "publish", channel: "c", data: "after the turn" });
    if (answer.type === "ack") return Date.now();
    expect(answer).toMatchObject({ code: ErrorCode.OverMessageQuota });
    await sleep(100);
  }
  throw new Error("no publish was accepted after the period turned");
}

function usageOf(appId: string, periodStartUnix: number): UsageBatch["apps"] {
  return controlPlane.batches.flatMap((batch) => batch.apps).filter((app) => app.appId === appId && app.periodStartUnix === periodStartUnix);
}

const sum = (rows: UsageBatch["apps"], field: "messagesAccepted" | "overageMessages" | "softDrops") => rows.reduce((total, row) => total + row[field], 0);

beforeAll(async () => {
  controlPlane = await new FakeControlPlane().start();
  // No spread of the period-end lookups: this one relay's timing is what is measured.
  relay = await startTestRelay(controlPlane, { planCacheRefreshMs: 60_000, usageFlushMs: 60_000, timing: { periodEndSpreadMs: 0 } });
});

afterEach(() => {
  for (const client of openClients.splice(0)) client.close();
  controlPlane.clockLagMs = 0;
});

afterAll(async () => {
  await relay.close();
  await controlPlane.stop();
  await removeTempDirs();
});

describe("a billing period that ends while clients are connected", () => {
  it("a quota used up at the period's end is fresh as soon as the next period starts, and counted there", async () => {
    const { app, endingStart, nextStart } = await appEndingIn(2, { limits: { maxMessagesPerPeriod: 2 } });
    const client = await connect(app);
    expect((await client.request({ type: "publish", channel: "c", data: 1 })).type).toBe("ack");
    expect((await client.request({ type: "publish", channel: "c", data: 2 })).type).toBe("ack");
    expect(await client.request({ type: "publish", channel: "c", data: 3 })).toMatchObject({ code: ErrorCode.OverMessageQuota });

    const endMs = nextStart * 1000;
    await sleep(endMs - Date.now());
    const acceptedAt = await firstAcceptedPublish(client, endMs + 10_000);
    expect(acceptedAt - endMs).toBeLessThanOrEqual(TURNOVER_BOUND_MS);

    await relay.flushUsage();
    const ended = usageOf(app.appId, endingStart);
    const next = usageOf(app.appId, nextStart);
    expect(sum(ended, "messagesAccepted")).toBe(2);
    expect(sum(next, "messagesAccepted")).toBe(1);
    expect(sum(next, "softDrops")).toBe(0);
  });

  it("a message after the turn uses the new period's allowance instead of being billed as the old period's overage", async () => {
    const { app, endingStart, nextStart } = await appEndingIn(2, {
      limits: { maxMessagesPerPeriod: 1 },
      billing: { overagesAllowed: true, overagesEnabled: true, balanceMinor: 10_000, overagePricePer1000MessagesMinor: 100 },
    });
    const client = await connect(app);
    expect((await client.request({ type: "publish", channel: "c", data: 1 })).type).toBe("ack");
    expect((await client.request({ type: "publish", channel: "c", data: 2 })).type).toBe("ack");

    await sleep(nextStart * 1000 + TURNOVER_BOUND_MS - Date.now());
    expect((await client.request({ type: "publish", channel: "c", data: 3 })).type).toBe("ack");

    await relay.flushUsage();
    const ended = usageOf(app.appId, endingStart);
    const next = usageOf(app.appId, nextStart);
    expect({ accepted: sum(ended, "messagesAccepted"), overage: sum(ended, "overageMessages") }).toEqual({ accepted: 2, overage: 1 });
    expect({ accepted: sum(next, "messagesAccepted"), overage: sum(next, "overageMessages") }).toEqual({ accepted: 1, overage: 0 });
  });

  it("when the control plane's clock is behind, the relay asks again until the period has turned, a few times and no more", async () => {
    controlPlane.clockLagMs = 1_200;
    const { app, nextStart } = await appEndingIn(2, { limits: { maxMessagesPerPeriod: 1 } });
    const client = await connect(app);
    expect((await client.request({ type: "publish", channel: "c", data: 1 })).type).toBe("ack");
    const requestsBefore = controlPlane.appStateRequests;

    const endMs = nextStart * 1000;
    await sleep(endMs - Date.now());
    const acceptedAt = await firstAcceptedPublish(client, endMs + 10_000);
    expect(acceptedAt - endMs).toBeLessThanOrEqual(controlPlane.clockLagMs + TURNOVER_BOUND_MS);
    // Asked at +0.5 s (still the old period over there), again 1 s later (turned); then no more.
    const requestsToTurn = controlPlane.appStateRequests - requestsBefore;
    expect(requestsToTurn).toBeGreaterThanOrEqual(2);
    expect(requestsToTurn).toBeLessThanOrEqual(3);
    await sleep(3_000);
    expect(controlPlane.appStateRequests - requestsBefore).toBe(requestsToTurn);
  });
});
