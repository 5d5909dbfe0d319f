import { DomainError } from "@/lib/errors";

interface PlanShape {
  kind: "free" | "tiered" | "unlimited" | "pay_as_you_go";
  overagesAllowed: boolean;
  tokenBucketRefillPerSecond: number;
  tokenBucketBurst: number;
  controlFrameRefillPerSecond: number;
  controlFrameBurst: number;
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
}
