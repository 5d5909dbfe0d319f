import { describe, expect, it } from "vitest";
import { crossedThresholds, detectUsageEvents, thresholdCount, type UsageFlushFacts } from "./detect-usage-events";

const facts = (partial: Partial<UsageFlushFacts> = {}): UsageFlushFacts => ({
  periodStartUnix: 1_700_000_000,
  limits: { maxMessagesPerPeriod: 1000, maxConcurrentConnections: 10 },
  messagesUsed: { before: 0, after: 0 },
  peakConcurrent: { before: 0, after: 0 },
  refusedMessages: 0,
  refusedConnections: 0,
  spend: { capMinor: null, beforeMinor: 0, afterMinor: 0 },
  balance: { beforeMinor: 1000, afterMinor: 1000, lowThresholdMinor: 500, autoRechargeEnabled: false },
  ...partial,
});

describe("usage thresholds", () => {
  it("fire when usage reaches 75, 90 and 100 % for the first time", () => {
    expect(crossedThresholds({ before: 0, after: 749, limit: 1000 })).toEqual([]);
    expect(crossedThresholds({ before: 0, after: 750, limit: 1000 })).toEqual([75]);
    expect(crossedThresholds({ before: 750, after: 899, limit: 1000 })).toEqual([]);
    expect(crossedThresholds({ before: 899, after: 900, limit: 1000 })).toEqual([90]);
    expect(crossedThresholds({ before: 900, after: 1000, limit: 1000 })).toEqual([100]);
    expect(crossedThresholds({ before: 1000, after: 5000, limit: 1000 })).toEqual([]);
  });

  it("fire every threshold one jump passes", () => {
    expect(crossedThresholds({ before: 10, after: 2000, limit: 1000 })).toEqual([75, 90, 100]);
  });

  it("round the threshold up, so 75 % of 10 needs 8, and a limit of 1 reaches all three at once", () => {
    expect(thresholdCount(10, 75)).toBe(8);
    expect(crossedThresholds({ before: 0, after: 7, limit: 10 })).toEqual([]);
    expect(crossedThresholds({ before: 0, after: 8, limit: 10 })).toEqual([75]);
    expect(crossedThresholds({ before: 0, after: 1, limit: 1 })).toEqual([75, 90, 100]);
  });

  it("never fire for an unlimited or zero limit", () => {
    expect(crossedThresholds({ before: 0, after: 10 ** 9, limit: null })).toEqual([]);
    expect(crossedThresholds({ before: 0, after: 5, limit: 0 })).toEqual([]);
  });
});

describe("events of a usage flush", () => {
  it("name the axis, threshold and period of each crossing", () => {
    const events = detectUsageEvents(facts({ messagesUsed: { before: 700, after: 950 }, peakConcurrent: { before: 2, after: 10 } }));
    expect(events).toEqual([
      { type: "usage.threshold", axis: "messages", percent: 75, used: 950, limit: 1000, periodStartUnix: 1_700_000_000 },
      { type: "usage.threshold", axis: "messages", percent: 90, used: 950, limit: 1000, periodStartUnix: 1_700_000_000 },
      { type: "usage.threshold", axis: "connections", percent: 75, used: 10, limit: 10, periodStartUnix: 1_700_000_000 },
      { type: "usage.threshold", axis: "connections", percent: 90, used: 10, limit: 10, periodStartUnix: 1_700_000_000 },
      { type: "usage.threshold", axis: "connections", percent: 100, used: 10, limit: 10, periodStartUnix: 1_700_000_000 },
    ]);
  });

  it("report refusals as quota reached, per axis", () => {
    expect(detectUsageEvents(facts({ refusedMessages: 3, refusedConnections: 2 }))).toEqual([
      { type: "quota.reached", axis: "messages", refused: 3, periodStartUnix: 1_700_000_000 },
      { type: "quota.reached", axis: "connections", refused: 2, periodStartUnix: 1_700_000_000 },
    ]);
  });

  it("report the spend cap when this flush's charges reach it", () => {
    expect(detectUsageEvents(facts({ spend: { capMinor: 500, beforeMinor: 400, afterMinor: 499 } }))).toEqual([]);
    expect(detectUsageEvents(facts({ spend: { capMinor: 500, beforeMinor: 400, afterMinor: 500 } }))).toEqual([
      { type: "spend_cap.reached", capMinor: 500, periodStartUnix: 1_700_000_000 },
    ]);
    expect(detectUsageEvents(facts({ spend: { capMinor: 500, beforeMinor: 500, afterMinor: 500 } }))).toEqual([]);
  });

  it("report a low balance only when it falls to the threshold with auto-recharge off", () => {
    const falling = { beforeMinor: 600, afterMinor: 450, lowThresholdMinor: 500 };
    expect(detectUsageEvents(facts({ balance: { ...falling, autoRechargeEnabled: false } }))).toEqual([
      { type: "balance.low", balanceMinor: 450, thresholdMinor: 500, periodStartUnix: 1_700_000_000 },
    ]);
    expect(detectUsageEvents(facts({ balance: { ...falling, autoRechargeEnabled: true } }))).toEqual([]);
    expect(detectUsageEvents(facts({ balance: { beforeMinor: 450, afterMinor: 300, lowThresholdMinor: 500, autoRechargeEnabled: false } }))).toEqual([]);
  });
});
