import { DomainError } from "@/lib/errors";

interface PlanShape {
  kind: "free" | "tiered" | "unlimited" | "pay_as_you_go";
  overagesAllowed: boolean;
  tokenBucketRefillPerSecond: number;
  tokenBucketBurst: number;
  controlFrameRefillPerSecond: number;
  controlFrameBurst: number;
  historySize: number;
  historyTtlSeconds: number;
}

/** Rules across fields that a per-field schema cannot express. */
export function validatePlan(plan: PlanShape): void {
  if (plan.kind === "free" && plan.overagesAllowed) {
    throw new DomainError("unprocessable", "Free plans have hard caps: overages cannot be allowed", { field: "overagesAllowed" });
  }
  if (plan.tokenBucketBurst < plan.tokenBucketRefillPerSecond) {
    throw new DomainError("unprocessable", "The token bucket burst must be at least its refill per second", { field: "tokenBucketBurst" });
  }
  if (plan.controlFrameBurst < plan.controlFrameRefillPerSecond) {
    throw new DomainError("unprocessable", "The control-frame burst must be at least its refill per second", { field: "controlFrameBurst" });
  }
  // History is on only when both are set: one of them alone would keep nothing, silently.
  if ((plan.historySize > 0) !== (plan.historyTtlSeconds > 0)) {
    const field = plan.historySize > 0 ? "historyTtlSeconds" : "historySize";
    throw new DomainError("unprocessable", "Channel history needs both a size and a retention time above 0, or both at 0 (off)", { field });
  }
}
