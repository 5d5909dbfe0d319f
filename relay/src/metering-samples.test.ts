// Per-minute samples describe the minute: connections that merely stay open count in every minute
// they span, not only in the minute they opened.
import { describe, expect, it } from "vitest";
import { ControlPlaneClient } from "./control-plane-client";
import { silentLogger } from "./log";
import { Meter } from "./metering";
import type { UsageBatch } from "./protocol";

const MINUTE_MS = 60_000;
const T0 = 1_700_000_040 * 1000;

function meter(): Meter {
  return new Meter({
    relayId: "relay-test",
    controlPlane: new ControlPlaneClient({ baseUrl: "http://127.0.0.1:9", relaySecret: "unused", timeoutMs: 100 }),
    dataDir: "/nonexistent",
    logger: silentLogger,
    onSending: () => undefined,
    onAcknowledged: () => undefined,
  });
}

/** The peak per minute of every pending batch, merged as the control plane does (GREATEST). */
function peaks(m: Meter): Record<number, number> {
  const batches = (m as unknown as { pending: Array<{ batch: UsageBatch }> }).pending.map((p) => p.batch);
  const result: Record<number, number> = {};
  for (const batch of batches) {
    for (const app of batch.apps) {
      for (const sample of app.samples) result[sample.minuteUnix] = Math.max(result[sample.minuteUnix] ?? 0, sample.peakConcurrent);
    }
  }
  return result;
}

const minute = (n: number) => Math.floor(T0 / MINUTE_MS) * 60 + n * 60;

describe("per-minute peak concurrency", () => {
  it("a minute in which 8 connections simply stay open shows 8, across flushes", () => {
    const m = meter();
    for (let open = 1; open <= 8; open++) m.concurrent("app_a", 1000, open, T0);
    m.cut(T0 + 30_000);
    m.cut(T0 + 2 * MINUTE_MS + 5_000);
    m.cut(T0 + 3 * MINUTE_MS + 1_000);
    expect(peaks(m)).toEqual({ [minute(0)]: 8, [minute(1)]: 8, [minute(2)]: 8, [minute(3)]: 8 });
  });

  it("the peak of a minute is the most open at any moment; closing everything ends the carry", () => {
    const m = meter();
    m.concurrent("app_b", 1000, 3, T0);
    m.concurrent("app_b", 1000, 5, T0 + MINUTE_MS + 1_000);
    m.concurrent("app_b", 1000, 2, T0 + MINUTE_MS + 2_000);
    m.cut(T0 + 2 * MINUTE_MS + 1_000);
    m.concurrent("app_b", 1000, 0, T0 + 3 * MINUTE_MS + 1_000);
    m.cut(T0 + 5 * MINUTE_MS);
    expect(peaks(m)).toEqual({ [minute(0)]: 3, [minute(1)]: 5, [minute(2)]: 2, [minute(3)]: 2 });
  });
});
