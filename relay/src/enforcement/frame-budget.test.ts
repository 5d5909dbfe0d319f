import { describe, expect, it } from "vitest";
import { FrameBudgetRules, PlanDefaults } from "../protocol";
import { FrameBudget, byteBurst } from "./frame-budget";

const limits = {
  controlFrameRefillPerSecond: PlanDefaults.controlFrameRefillPerSecond,
  controlFrameBurst: PlanDefaults.controlFrameBurst,
  inboundBytesPerSecond: PlanDefaults.inboundBytesPerSecond,
};

describe("FrameBudget", () => {
  it("lets the control burst through at once, then the refill rate", () => {
    const budget = new FrameBudget(limits, 0);
    const verdicts = Array.from({ length: limits.controlFrameBurst + 1 }, () => budget.payControl(limits, 0));
    expect(verdicts.filter((verdict) => verdict === "ok")).toHaveLength(limits.controlFrameBurst);
    expect(verdicts.at(-1)).toBe("refused");
    // 50 per second: one more after 20 ms.
    expect(budget.payControl(limits, 19)).toBe("refused");
    expect(budget.payControl(limits, 21)).toBe("ok");
  });

  it("charges bytes, and a frame larger than the burst still passes from a full bucket", () => {
    const small = { ...limits, inboundBytesPerSecond: 16 * 1024 };
    const budget = new FrameBudget(small, 0);
    expect(byteBurst(small)).toBe(64 * 1024);
    expect(budget.payBytes(small, 40 * 1024, 0)).toBe("ok");
    expect(budget.payBytes(small, 40 * 1024, 0)).toBe("refused");
    // 24 KB left, refilled at 16 KB/s: 40 KB fit again after one second, not after half of one.
    expect(budget.payBytes(small, 40 * 1024, 500)).toBe("refused");
    expect(budget.payBytes(small, 40 * 1024, 1_000)).toBe("ok");
    const fresh = new FrameBudget(small, 0);
    expect(fresh.payBytes(small, 1_000_000, 0)).toBe("ok");
  });

  it("turns refusals into a flood at three times the burst within the window, not before", () => {
    const budget = new FrameBudget(limits, 0);
    for (let i = 0; i < limits.controlFrameBurst; i++) budget.payControl(limits, 0);
    const floodAt = FrameBudgetRules.floodRefusalsPerBurst * limits.controlFrameBurst;
    for (let refused = 1; refused < floodAt; refused++) expect(budget.payControl(limits, 1)).toBe("refused");
    expect(budget.payControl(limits, 1)).toBe("flood");
  });

  it("forgets refusals that left the sliding window", () => {
    const budget = new FrameBudget(limits, 0);
    const floodAt = FrameBudgetRules.floodRefusalsPerBurst * limits.controlFrameBurst;
    for (let i = 0; i < limits.controlFrameBurst; i++) budget.payControl(limits, 0);
    // Just under the flood threshold, then quiet for two windows: a fresh run of refusals starts from zero.
    for (let refused = 1; refused < floodAt; refused++) expect(budget.payControl(limits, 1)).toBe("refused");
    const later = 2 * FrameBudgetRules.floodWindowMs + 10;
    for (let i = 0; i < limits.controlFrameBurst; i++) expect(budget.payControl(limits, later)).toBe("ok");
    for (let refused = 1; refused < floodAt; refused++) expect(budget.payControl(limits, later)).toBe("refused");
    expect(budget.payControl(limits, later)).toBe("flood");
  });

  it("counts half of the previous window's refusals half-way through the next", () => {
    const budget = new FrameBudget(limits, 0);
    const floodAt = FrameBudgetRules.floodRefusalsPerBurst * limits.controlFrameBurst;
    for (let i = 0; i < limits.controlFrameBurst; i++) budget.payControl(limits, 0);
    for (let refused = 1; refused < floodAt; refused++) budget.payControl(limits, 1);
    // Half-way through the next window, ~floodAt/2 of the old refusals still count.
    const halfWay = FrameBudgetRules.floodWindowMs * 1.5;
    let refusedBeforeFlood = 0;
    for (let i = 0; i < limits.controlFrameBurst; i++) budget.payControl(limits, halfWay);
    while (budget.payControl(limits, halfWay) === "refused") refusedBeforeFlood += 1;
    expect(refusedBeforeFlood).toBeGreaterThan(floodAt / 2 - 5);
    expect(refusedBeforeFlood).toBeLessThan(floodAt / 2 + 5);
  });
});
