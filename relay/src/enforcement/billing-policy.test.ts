// PROTOCOL §6's matrix, row by row, for both units (a new connection and a publish/send decide alike).
import { describe, expect, it } from "vitest";
import { billingVerdict } from "./billing-policy";
import type { BillingFacts, BillingVerdict } from "./billing-policy";

const billing = (overrides: Partial<BillingFacts["billing"]> = {}): BillingFacts["billing"] => ({
  overagesAllowed: true,
  overagesEnabled: true,
  balanceMinor: 0,
  autoRechargeEnabled: false,
  overagePricePer1000MessagesMinor: 50,
  overagePricePerConnectionMinor: 10,
  usageBilledFromBalance: false,
  ...overrides,
});

const COST = 10_000;
const facts = (overrides: Partial<BillingFacts>): BillingFacts => ({
  withinPlan: false,
  billing: billing(),
  balanceMilli: 0,
  overageCostMilli: COST,
  rechargeAvailable: false,
  ...overrides,
});

const rows: Array<{ situation: string; facts: BillingFacts; verdict: BillingVerdict }> = [
  { situation: "within plan", facts: facts({ withinPlan: true }), verdict: "allow" },
  { situation: "within plan, even with overages off and no balance", facts: facts({ withinPlan: true, billing: billing({ overagesAllowed: false }) }), verdict: "allow" },
  { situation: "over plan, plan without overages", facts: facts({ billing: billing({ overagesAllowed: false }), balanceMilli: 10 * COST }), verdict: "refuse" },
  { situation: "over plan, overages off", facts: facts({ billing: billing({ overagesEnabled: false }), balanceMilli: 10 * COST }), verdict: "refuse" },
  { situation: "over plan, overages on, balance sufficient", facts: facts({ balanceMilli: COST }), verdict: "allow_overage" },
  { situation: "over plan, overages on, balance exhausted, auto-recharge off", facts: facts({ balanceMilli: COST - 1 }), verdict: "refuse" },
  { situation: "over plan, overages on, balance exhausted, auto-recharge on", facts: facts({ balanceMilli: 0, rechargeAvailable: true }), verdict: "recharge" },
  { situation: "… after a successful recharge", facts: facts({ balanceMilli: 50 * COST, rechargeAvailable: false }), verdict: "allow_overage" },
  { situation: "… after a recharge that did not cover the unit", facts: facts({ balanceMilli: COST - 1, rechargeAvailable: false }), verdict: "refuse" },
  { situation: "pay-as-you-go past its allowance, positive balance", facts: facts({ withinPlan: true, billing: billing({ usageBilledFromBalance: true }), balanceMilli: 1 }), verdict: "allow" },
  { situation: "pay-as-you-go, balance exhausted, auto-recharge off", facts: facts({ withinPlan: true, billing: billing({ usageBilledFromBalance: true }), balanceMilli: 0 }), verdict: "refuse" },
  { situation: "pay-as-you-go, balance exhausted, auto-recharge on", facts: facts({ withinPlan: true, billing: billing({ usageBilledFromBalance: true }), balanceMilli: -5, rechargeAvailable: true }), verdict: "recharge" },
];

describe("billingVerdict (PROTOCOL §6)", () => {
  for (const unit of ["connection", "publish/send"]) {
    it.each(rows)(`${unit}: $situation → $verdict`, ({ facts: situation, verdict }) => {
      expect(billingVerdict(situation)).toBe(verdict);
    });
  }

  it("never asks for a recharge while a refused attempt cools down (rechargeAvailable false)", () => {
    for (const row of rows) expect(billingVerdict({ ...row.facts, rechargeAvailable: false })).not.toBe("recharge");
  });
});
