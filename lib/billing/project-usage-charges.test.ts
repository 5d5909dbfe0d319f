import { describe, expect, it } from "vitest";
import { projectUsageCharges, type WindowUsage } from "./project-usage-charges";
import type { PriceSheet } from "./pricing";

const tiered: PriceSheet = {
  kind: "tiered",
  overagePricePer1000MessagesMinor: 10,
  overagePricePerConnectionMinor: 5,
  freeConnectionMinutes: 0,
  freeDeliveredMessages: 0,
  freeEgressBytes: BigInt(0),
  pricePer1000ConnectionMinutesMinor: 0,
  pricePer1000DeliveredMessagesMinor: 0,
  pricePerGbEgressMinor: 0,
};
const payg: PriceSheet = { ...tiered, kind: "pay_as_you_go", freeDeliveredMessages: 1_000_000, pricePer1000DeliveredMessagesMinor: 5 };
const period = { start: new Date("2026-11-01T00:00:00Z"), end: new Date("2026-12-01T00:00:00Z") };
const HOUR = 3_600_000;
const zeroTotals = {
  overageMessages: BigInt(0),
  overageConnections: 0,
  connectionMinutes: BigInt(0),
  deliveredMessages: BigInt(0),
  egressBlocks: BigInt(0),
  messagesUsed: BigInt(0),
  egressBytes: BigInt(0),
};
const noUsage: WindowUsage = { messages: 0, delivered: 0, egressBytes: 0, connectionMinutes: 0 };

function project(options: { now: Date; windowStart: Date; window: Partial<WindowUsage>; totals?: Partial<typeof zeroTotals>; sheet?: PriceSheet; quota?: number | null }) {
  return projectUsageCharges({
    sheet: options.sheet ?? tiered,
    totals: { ...zeroTotals, ...options.totals },
    window: { ...noUsage, ...options.window },
    windowStart: options.windowStart,
    period,
    now: options.now,
    maxMessagesPerPeriod: options.quota === undefined ? 5_000_000 : options.quota,
    overagesEnabled: true,
  });
}

describe("projectUsageCharges", () => {
  it("continues the last 24 h rate to the period end, past the quota only", () => {
    const now = new Date("2026-11-16T00:00:00Z"); // 360 h left
    // 4.9 M used, 240,000 in the last 24 h = 10,000/h → 3.6 M more; 3.5 M over the 5 M quota × 10 per 1,000 → $350.00
    const result = project({ now, windowStart: new Date(now.getTime() - 24 * HOUR), window: { messages: 240_000 }, totals: { messagesUsed: BigInt(4_900_000) } });
    expect(result).toMatchObject({ basis: "rate", soFarMinor: 0, projectedMinor: 35_000, window: { hours: 24 }, remainingHours: 360 });
    expect(result.ratePerHour.messages).toBe(10_000);
    expect(result.explanation).toContain("last 24 h");
    expect(result.explanation).toContain("10,000 messages per hour");
  });

  it("is stable: a five-minute burst moves it by the burst's share of a day, not the burst extrapolated", () => {
    const now = new Date("2026-11-16T00:00:00Z");
    const windowStart = new Date(now.getTime() - 24 * HOUR);
    const totals = { messagesUsed: BigInt(5_000_000), overageMessages: BigInt(0) };
    const steady = project({ now, windowStart, window: { messages: 240_000 }, totals });
    // 100,000 messages in the last 5 minutes: extrapolated from 5 minutes that would be 1.2 M/h.
    const burst = project({ now, windowStart, window: { messages: 340_000 }, totals: { ...totals, messagesUsed: BigInt(5_100_000), overageMessages: BigInt(100_000) } });
    expect(steady.projectedMinor).toBe(36_000);
    expect(burst.projectedMinor).toBeLessThan(steady.projectedMinor * 1.6);
    expect(burst.projectedMinor).toBeGreaterThan(steady.projectedMinor);
  });

  it("does not extrapolate under an hour of history", () => {
    const now = new Date("2026-11-01T00:30:00Z");
    const result = project({ now, windowStart: period.start, window: { messages: 6_000_000 }, totals: { overageMessages: BigInt(1_000_000), messagesUsed: BigInt(6_000_000) } });
    expect(result).toMatchObject({ basis: "too_early", soFarMinor: 10_000, projectedMinor: 10_000 });
  });

  it("applies the pay-as-you-go free allowance to the projected totals", () => {
    const now = new Date("2026-11-11T00:00:00Z"); // 480 h left
    // 10 days at 1,000 delivered/h = 240,000 so far; +480,000 → 720,000: still inside 1 M free
    const inside = project({ sheet: payg, quota: null, now, windowStart: new Date(now.getTime() - 24 * HOUR), window: { delivered: 24_000 }, totals: { deliveredMessages: BigInt(240_000) } });
    expect(inside.projectedMinor).toBe(0);
    // 5,000/h → +2.4 M → 2.64 M, 1.64 M over × 5 per 1,000 = 8,200
    const over = project({ sheet: payg, quota: null, now, windowStart: new Date(now.getTime() - 24 * HOUR), window: { delivered: 120_000 }, totals: { deliveredMessages: BigInt(240_000) } });
    expect(over.projectedMinor).toBe(8_200);
    expect(over.explanation).toContain("5,000 delivered messages");
  });

  it("a young app's window is its life so far", () => {
    const now = new Date("2026-11-01T04:00:00Z");
    const result = project({ now, windowStart: period.start, window: { messages: 40_000 }, totals: { messagesUsed: BigInt(4_990_000) } });
    expect(result.window.hours).toBe(4);
    expect(result.ratePerHour.messages).toBe(10_000);
  });
});
