import { describe, expect, it } from "vitest";
import { billingPeriodAt } from "@/lib/periods/billing-period";
import { pricesInForce } from "./plan-prices";
import { describeProration, proratedMinor, upgradeCharge } from "./proration";

const anchor = new Date("2026-11-01T00:00:00Z");
const november = billingPeriodAt(anchor, new Date("2026-11-10T00:00:00Z")); // 30 days

describe("proratedMinor", () => {
  it("charges the whole price at the period start, nothing at its end, the share of the days left between", () => {
    expect(proratedMinor(2900, november, november.start)).toBe(2900);
    expect(proratedMinor(2900, november, november.end)).toBe(0);
    expect(proratedMinor(3000, november, new Date("2026-11-21T00:00:00Z"))).toBe(1000);
    // 2900 × 20/30 = 1933.33 → 1933; 9900 × 0.5 = 4950
    expect(proratedMinor(2900, november, new Date("2026-11-11T00:00:00Z"))).toBe(1933);
    expect(proratedMinor(9900, november, new Date("2026-11-16T00:00:00Z"))).toBe(4950);
  });

  it("rounds half up and stays exact for large prices (no floating-point drift)", () => {
    const halfCent = new Date(november.start.getTime() + (november.end.getTime() - november.start.getTime()) / 2);
    expect(proratedMinor(1, november, halfCent)).toBe(1);
    expect(proratedMinor(100_000_000, november, new Date("2026-11-11T00:00:00Z"))).toBe(66_666_667);
  });

  it("never charges for time outside the period", () => {
    expect(proratedMinor(2900, november, new Date("2026-10-01T00:00:00Z"))).toBe(2900);
    expect(proratedMinor(2900, november, new Date("2027-01-01T00:00:00Z"))).toBe(0);
  });
});

describe("upgradeCharge", () => {
  it("credits the unused rest of a paid current plan against the new plan's fee", () => {
    const at = new Date("2026-11-16T00:00:00Z");
    expect(upgradeCharge({ currentPriceMinor: 2900, currentFeePaid: true, targetPriceMinor: 9900, period: november, at })).toEqual({
      feeMinor: 4950,
      creditMinor: 1450,
      chargeMinor: 3500,
    });
  });

  it("gives no credit when the current fee was not paid (past due)", () => {
    const at = new Date("2026-11-16T00:00:00Z");
    expect(upgradeCharge({ currentPriceMinor: 2900, currentFeePaid: false, targetPriceMinor: 9900, period: november, at })).toEqual({
      feeMinor: 4950,
      creditMinor: 0,
      chargeMinor: 4950,
    });
  });

  it("says how many days are paid for", () => {
    expect(describeProration(november, new Date("2026-11-16T00:00:00Z"))).toBe("15 of 30 days");
    expect(describeProration(november, new Date("2026-11-16T00:00:01Z"))).toBe("15 of 30 days");
  });
});

describe("pricesInForce", () => {
  const current = {
    monthlyPriceMinor: 5000,
    overagePricePer1000MessagesMinor: 20,
    overagePricePerConnectionMinor: 5,
    pricePer1000ConnectionMinutesMinor: 0,
    pricePer1000DeliveredMessagesMinor: 0,
    pricePerGbEgressMinor: 0,
  };
  const before = { ...current, monthlyPriceMinor: 2900, overagePricePer1000MessagesMinor: 10 };
  const periodStart = new Date("2026-11-01T00:00:00Z");

  it("keeps the prices of the period start when an edit is scheduled after it", () => {
    const edit = { previousPrices: before, appliedImmediately: false, changedAt: new Date("2026-11-05T00:00:00Z") };
    expect(pricesInForce(current, [edit], periodStart)).toEqual(before);
    // The next period starts after the edit: it pays the new prices.
    expect(pricesInForce(current, [edit], new Date("2026-12-01T00:00:00Z"))).toEqual(current);
  });

  it("an edit applied now reaches the current period at once, and undoes nothing after it", () => {
    const now = { previousPrices: before, appliedImmediately: true, changedAt: new Date("2026-11-05T00:00:00Z") };
    expect(pricesInForce(current, [now], periodStart)).toEqual(current);
    const later = { previousPrices: current, appliedImmediately: false, changedAt: new Date("2026-11-07T00:00:00Z") };
    expect(pricesInForce({ ...current, monthlyPriceMinor: 7000 }, [later, now], periodStart)).toEqual(current);
  });
});
