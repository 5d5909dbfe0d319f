// A tenant spends only its own share of a shared relay (frame-scheduler.ts). Here each presence join
// costs the event loop 1 ms (a store made slow on purpose, so the cost is the same on any machine), and
// one app's client sends 300 presence changes at once (subscribe/unsubscribe pairs, within a control
// budget its plan raised). The relay used to run one connection's queued frames back to back, holding
// the event loop for the whole burst; now it runs them in turns, so another app's ping is answered long
// before the burst is done, and the busy app's work still all gets done. Measured here, the relay before
// the scheduler (39b0c58): the pong came after all 300 acks, 178–206 ms in, and the longest event-loop
// delay was 161–179 ms; now the pong comes after 4 acks, ~18 ms in, and the longest delay is ~10 ms.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RelayHandle } from "../src/server";
import { FakeControlPlane, TestClient, appFixture, busyFor, firstSecretKey, memoryStateWithSlowJoins, mintToken, removeTempDirs, startTestRelay } from "./helpers";

const JOIN_COST_MS = 1;
const PAIRS = 150;

let controlPlane: FakeControlPlane;
let relay: RelayHandle;
const clients: TestClient[] = [];

beforeAll(async () => {
  controlPlane = await new FakeControlPlane().start();
  relay = await startTestRelay(controlPlane, {}, { state: memoryStateWithSlowJoins(() => busyFor(JOIN_COST_MS)) });
});

afterAll(async () => {
  for (const client of clients) client.close();
  await relay.close();
  await controlPlane.stop();
  await removeTempDirs();
});

async function connect(app: ReturnType<typeof appFixture>, sub: string): Promise<TestClient> {
  const client = await TestClient.connect(relay, `token=${await mintToken(firstSecretKey(app), { sub })}`);
  clients.push(client);
  return client;
}

describe("fair share of a relay between apps", () => {
  it("answers another app's ping within a few turns while one app's burst of expensive frames is worked through", async () => {
    // A plan that lets one connection send 300 control frames at once: only the scheduler stands between that burst and the others.
    const busyApp = appFixture({ limits: { controlFrameBurst: 1_000, controlFrameRefillPerSecond: 1_000 } });
    const quietApp = appFixture();
    controlPlane.setApps([busyApp, quietApp]);
    await relay.refreshNow();
    const busy = await connect(busyApp, "busy");
    const quiet = await connect(quietApp, "quiet");

    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const burstStartedAt = performance.now();
    for (let i = 0; i < PAIRS; i++) {
      busy.send({ type: "subscribe", channel: "room", requestId: `s${i}` });
      busy.send({ type: "unsubscribe", channel: "room", requestId: `u${i}` });
    }
    // Sent once the relay has started on the burst.
    await busy.waitFor((f) => f.type === "ack");
    quiet.send({ type: "ping" });
    await quiet.waitFor((f) => f.type === "pong");
    const pongAfterMs = performance.now() - burstStartedAt;
    const acksAtPong = busy.framesOf("ack").length;
    await busy.waitFor((f) => f.type === "ack" && f.requestId === `u${PAIRS - 1}`, 20_000);
    const burstMs = performance.now() - burstStartedAt;
    delay.disable();
    const longestDelayMs = delay.max / 1e6;

    const context = `pong after ${pongAfterMs.toFixed(0)} ms with ${acksAtPong} of ${2 * PAIRS} acks out; burst ${burstMs.toFixed(0)} ms; longest event-loop delay ${longestDelayMs.toFixed(0)} ms`;
    // The busy app was served in full, in order...
    expect(busy.framesOf("ack").map((f) => f.requestId), context).toEqual(Array.from({ length: PAIRS }, (_, i) => [`s${i}`, `u${i}`]).flat());
    expect(burstMs, context).toBeGreaterThan(PAIRS * JOIN_COST_MS);
    // ...and the quiet app did not wait for it: its pong came while most of the burst was still to do,
    // and the event loop was never held for more than a few of the busy app's turns.
    expect(acksAtPong, context).toBeLessThan(PAIRS);
    expect(longestDelayMs, context).toBeLessThan(50);
  }, 30_000);
});
