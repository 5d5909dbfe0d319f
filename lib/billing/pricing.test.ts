import { describe, expect, it } from "vitest";
import { breakdownWithinCharge, COST_COMPONENTS, type CostComponent, incrementalCostMinor, periodCost, type PeriodTotals, type PriceSheet } from "./pricing";

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
const payg: PriceSheet = {
  ...tiered,
  kind: "pay_as_you_go",
  overagePricePer1000MessagesMinor: 0,
  overagePricePerConnectionMinor: 0,
  freeConnectionMinutes: 1000,
  freeDeliveredMessages: 10_000,
  freeEgressBytes: BigInt(1_000_000_000),
  pricePer1000ConnectionMinutesMinor: 10,
  pricePer1000DeliveredMessagesMinor: 5,
  pricePerGbEgressMinor: 100,
};
const totals = (partial: Partial<PeriodTotals>): PeriodTotals => ({
  overageMessages: BigInt(0),
  overageConnections: 0,
  connectionMinutes: BigInt(0),
  deliveredMessages: BigInt(0),
  egressBlocks: BigInt(0),
  ...partial,
});

describe("overage pricing", () => {
  it("prices overage messages per 1,000 and overage connections each", () => {
    const cost = periodCost(tiered, totals({ overageMessages: BigInt(2500), overageConnections: 3 }));
    expect(cost.overageMessagesMinor).toBe(25);
    expect(cost.overageConnectionsMinor).toBe(15);
    expect(cost.totalMinor).toBe(40);
  });

  it("charges batches the cumulative difference, so many small batches cost the same as one big one", () => {
    let before = totals({});
    let charged = 0;
    for (let i = 0; i < 1000; i++) {
      const after = totals({ overageMessages: before.overageMessages + BigInt(7) });
      charged += incrementalCostMinor(tiered, before, after);
      before = after;
    }
    expect(charged).toBe(periodCost(tiered, before).totalMinor);
    expect(charged).toBe(70);
  });

  it("does not charge pay-as-you-go usage inside the free allowance", () => {
    expect(periodCost(payg, totals({ connectionMinutes: BigInt(1000), deliveredMessages: BigInt(10_000), egressBlocks: BigInt(244_140) })).totalMinor).toBe(0);
  });

  it("charges pay-as-you-go usage beyond the allowance at unit prices, egress in 4 KB blocks", () => {
    const cost = periodCost(payg, totals({ connectionMinutes: BigInt(3000), deliveredMessages: BigInt(30_000), egressBlocks: BigInt(500_000) }));
    expect(cost.connectionMinutesMinor).toBe(20); // 2,000 over × 10 / 1,000
    expect(cost.deliveredMessagesMinor).toBe(100); // 20,000 over × 5 / 1,000
    // 500,000 × 4,096 B = 2.048 GB; 1.048 GB over × 100 per GB = 104.8 → 104
    expect(cost.egressMinor).toBe(104);
  });

  it("ignores pay-as-you-go unit prices on other plan kinds", () => {
    expect(periodCost({ ...payg, kind: "tiered" }, totals({ connectionMinutes: BigInt(1_000_000) })).totalMinor).toBe(0);
  });
});

describe("a usage debit's breakdown cut to the charge (spend cap)", () => {
  const sum = (parts: Partial<Record<CostComponent, number>>) => Object.values(parts).reduce((total, amount) => total + (amount ?? 0), 0);
  const full = { overageMessagesMinor: 34, overageConnectionsMinor: 35, connectionMinutesMinor: 0, deliveredMessagesMinor: 0, egressMinor: 0 };

  it("keeps the breakdown when the whole charge was taken, without its zero lines", () => {
    expect(breakdownWithinCharge(full, 69)).toEqual({ overageMessagesMinor: 34, overageConnectionsMinor: 35 });
  });

  it("scales the components down to sum exactly to the charge, the leftover cents to the largest remainders", () => {
    // 16 × 34 / 69 = 7.88…, 16 × 35 / 69 = 8.11…: floors 7 + 8, the spare cent to the larger remainder.
    expect(breakdownWithinCharge(full, 16)).toEqual({ overageMessagesMinor: 8, overageConnectionsMinor: 8 });
    expect(breakdownWithinCharge({ ...full, overageMessagesMinor: 1, overageConnectionsMinor: 1, egressMinor: 1 }, 2)).toEqual({ overageMessagesMinor: 1, overageConnectionsMinor: 1 });
  });

  it("drops components scaled to nothing, and is empty for a zero charge", () => {
    expect(breakdownWithinCharge({ ...full, overageMessagesMinor: 1, overageConnectionsMinor: 999 }, 10)).toEqual({ overageConnectionsMinor: 10 });
    expect(breakdownWithinCharge(full, 0)).toEqual({});
  });

  it("always sums to the charge and never gives a component more than it cost", () => {
    let seed = 7;
    const random = (max: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % (max + 1);
    };
    for (let i = 0; i < 2000; i++) {
      const parts = Object.fromEntries(COST_COMPONENTS.map((component) => [component, random(3) === 0 ? 0 : random(100_000)])) as Record<CostComponent, number>;
      const charge = random(sum(parts));
      const cut = breakdownWithinCharge(parts, charge);
      expect(sum(cut)).toBe(charge);
      for (const component of COST_COMPONENTS) {
        expect(cut[component] ?? 0).toBeLessThanOrEqual(parts[component]);
        expect(cut[component] ?? 1).toBeGreaterThan(0);
      }
    }
  });
});
