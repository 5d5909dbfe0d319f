// GET /v1/usage while the relay stops answering stats: through the real route (key auth, wrappers, the
// process's live usage source) with a fake relay node that holds stats requests unanswered. The live
// usage timing is scaled down 10× so the stall crosses the lateness threshold in a test's time.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as usageRoute } from "@/app/v1/usage/route";
import { createApiKey } from "@/lib/keys/create-api-key";
import type { UsageResponse } from "@/lib/usage/usage.types";
import { createTestApp, createUser, TEST_ENCRYPTION_KEY } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness, unflushedUsage } from "@/tests/helpers/route-harness";

const TIMING = vi.hoisted(() => ({ callTimeoutMs: 250, waitMs: 80, lateAfterMs: 500 }));

vi.mock("@/lib/usage/live-usage", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@/lib/usage/live-usage")>();
  const { getRelayClient } = await import("@/lib/relay/get-relay-client");
  const { getLiveUsageStore } = await import("@/lib/usage/live-usage-store");
  let source: ReturnType<typeof actual.createLiveUsageSource> | undefined;
  return { ...actual, getLiveUsageSource: () => (source ??= actual.createLiveUsageSource({ relay: getRelayClient(), store: getLiveUsageStore(), timing: TIMING })) };
});

let harness: RouteHarness;

beforeAll(async () => {
  harness = await startRouteHarness();
});
afterAll(async () => harness?.stop());

const COUNTERS = ["messagesUsed", "peakConcurrent", "deliveredMessages", "egressBytes", "connectionMinutes", "overageMessages", "overageConnections", "softDrops", "overageCostMinor"] as const;

describe("GET /v1/usage freshness", () => {
  it("a relay that stops answering stats never makes a shown counter go down: the last figures stay, dated to the last report and marked stale, until it answers again", async () => {
    const user = await createUser(harness.db);
    const app = await createTestApp(harness.db, { tenantId: user.tenantId, planSlug: "starter" });
    const key = await createApiKey(harness.db, { appId: app.id, kind: "secret", name: "backend", encryptionKey: TEST_ENCRYPTION_KEY });
    const headers = { authorization: `Bearer ${key.id}:${key.secret}` };
    const periodStartUnix = await harness.relay.periodStartOf(app.id);
    harness.relay.state.concurrentNow = 5;
    harness.relay.state.unflushed = [unflushedUsage(periodStartUnix, { messagesAccepted: 201, deliveredMessages: 800, egressBytes: 9_000, egressBlocks: 800, connectionMinutes: 5, peakConcurrent: 5 })];

    const live = (await invoke<UsageResponse>(usageRoute, { headers })).body;
    expect(live).toMatchObject({ concurrentNow: 5, messagesUsed: 201, deliveredMessages: 800, egressBytes: 9_000, connectionMinutes: 5, stale: false });

    harness.relay.state.statsStalled = true;
    const samples: { askedAtMs: number; usage: UsageResponse }[] = [];
    const until = Date.now() + 4 * TIMING.lateAfterMs;
    try {
      while (Date.now() < until) {
        const askedAtMs = Date.now();
        const response = await invoke<UsageResponse>(usageRoute, { headers });
        expect(response.status).toBe(200);
        samples.push({ askedAtMs, usage: response.body });
      }
    } finally {
      harness.relay.state.statsStalled = false;
    }
    for (const { askedAtMs, usage } of samples) {
      for (const counter of COUNTERS) expect({ counter, value: usage[counter] }).toEqual({ counter, value: live[counter] });
      expect(usage).toMatchObject({ concurrentNow: 5, measuredAt: live.measuredAt });
      // Asked once the last report was older than the threshold: the answer must say it is stale.
      if (askedAtMs - Date.parse(live.measuredAt) > TIMING.lateAfterMs) expect(usage.stale).toBe(true);
    }
    expect(samples.at(-1)?.usage).toMatchObject({ stale: true, relayReachable: false, relayNodes: [{ measuredAt: live.measuredAt, stale: true }] });
    expect(harness.relay.statsInFlight.max).toBe(1);

    // The next call after the stall (one may still be out, timing out) brings fresh figures.
    let again = (await invoke<UsageResponse>(usageRoute, { headers })).body;
    for (let attempt = 0; again.stale && attempt < 20; attempt++) again = (await invoke<UsageResponse>(usageRoute, { headers })).body;
    expect(again).toMatchObject({ concurrentNow: 5, messagesUsed: 201, stale: false });
  });
});
