// The quota/overage/balance/auto-recharge matrix of PROTOCOL §6 as one pure decision, the same for a
// new connection and for a publish/send. The billing gate gathers the facts (is the unit within the
// plan, the estimated balance, the unit's cost, whether a recharge may be asked for) and acts on the
// verdict; when the verdict is "recharge" it asks, then decides again with the new balance.
import type { SnapshotApp } from "../protocol";

export interface BillingFacts {
  /** Within the plan's cap (connections: a lease under the cap; messages: used < maxMessagesPerPeriod). */
  withinPlan: boolean;
  billing: SnapshotApp["billing"];
  /** The balance as the relay estimates it, in thousandths of a minor unit. */
  balanceMilli: number;
  /** What one over-plan unit costs at the overage rate, in thousandths of a minor unit. */
  overageCostMilli: number;
  /** Auto-recharge is on and no refused attempt's cooldown is running (false once a recharge was tried). */
  rechargeAvailable: boolean;
}

/** `allow_overage`: allowed and billed at the overage rate. `recharge`: ask for one, then decide again. */
export type BillingVerdict = "allow" | "allow_overage" | "recharge" | "refuse";

export function billingVerdict(facts: BillingFacts): BillingVerdict {
  const { billing } = facts;
  if (facts.withinPlan) {
    // Pay-as-you-go past its free allowance pays for within-plan usage after the fact, from the balance.
    if (!billing.usageBilledFromBalance || facts.balanceMilli > 0) return "allow";
    return facts.rechargeAvailable ? "recharge" : "refuse";
  }
  if (!billing.overagesAllowed || !billing.overagesEnabled) return "refuse";
  if (facts.balanceMilli - facts.overageCostMilli >= 0) return "allow_overage";
  return facts.rechargeAvailable ? "recharge" : "refuse";
}
