import { describe, expect, it } from "vitest";
import { detectUsageEvents, type UsageFlushFacts } from "./detect-usage-events";

const facts = (partial: Partial<UsageFlushFacts> = {}): UsageFlushFacts => ({
  periodStartUnix: 1_700_000_000,
  refusedMessages: 0,
  refusedConnections: 0,
  refusedChannels: 0,
  refusedChannelPeers: 0,
  spend: { capMinor: null, beforeMinor: 0, afterMinor: 0 },
  balance: { beforeMinor: 1000, afterMinor: 1000, lowThresholdMinor: 500, autoRechargeEnabled: false },
  ...partial,
});

describe("events of a usage flush", () => {
  it("report refusals as quota reached, per axis", () => {
    expect(detectUsageEvents(facts({ refusedMessages: 3, refusedConnections: 2 }))).toEqual([
      { type: "quota.reached", axis: "messages", refused: 3, periodStartUnix: 1_700_000_000 },
      { type: "quota.reached", axis: "connections", refused: 2, periodStartUnix: 1_700_000_000 },
    ]);
    expect(detectUsageEvents(facts({ refusedChannels: 4, refusedChannelPeers: 1 }))).toEqual([
      { type: "quota.reached", axis: "channels", refused: 4, periodStartUnix: 1_700_000_000 },
      { type: "quota.reached", axis: "channel_peers", refused: 1, periodStartUnix: 1_700_000_000 },
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
