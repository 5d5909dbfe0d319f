// Every inbound frame has a price (PROTOCOL §8), so one connection can spend only its own share of a
// node that many tenants share:
// - bytes: every frame, of any type, pays its length from a byte bucket before it is even decoded;
// - control frames (ping, subscribe, unsubscribe, and frames that are malformed, unknown or binary) pay
//   one token of the control bucket; publish and send pay the message bucket instead (pipeline.ts).
// A refused frame is dropped and answered `rate_limited`; the connection stays. A connection that keeps
// sending regardless, refused `floodRefusalsPerBurst` times its control burst within `floodWindowMs`, is
// closed 4011. Rates come from the app's current limits on every frame, like the message bucket.
import { FrameBudgetRules } from "../protocol/limits";
import type { EffectiveLimits } from "../protocol";
import { TokenBucket } from "./token-bucket";

/** The frame may proceed, was refused (answer `rate_limited`), or ends a flood (close 4011). */
export type FrameBudgetVerdict = "ok" | "refused" | "flood";

type BudgetLimits = Pick<EffectiveLimits, "controlFrameRefillPerSecond" | "controlFrameBurst" | "inboundBytesPerSecond">;

export function byteBurst(limits: BudgetLimits): number {
  return limits.inboundBytesPerSecond * FrameBudgetRules.byteBurstSeconds;
}

export class FrameBudget {
  private readonly bytes: TokenBucket;
  private readonly control: TokenBucket;
  // Refusals are counted in fixed windows and estimated over a sliding one (the previous window weighted
  // by how much of it still overlaps): two numbers per connection instead of a timestamp per refusal.
  private windowStartMs: number;
  private refusedThisWindow = 0;
  private refusedLastWindow = 0;

  constructor(limits: BudgetLimits, nowMs: number = performance.now()) {
    this.bytes = new TokenBucket(byteBurst(limits), nowMs);
    this.control = new TokenBucket(limits.controlFrameBurst, nowMs);
    this.windowStartMs = nowMs;
  }

  /** Pays for a frame's bytes (any frame, before decoding). */
  payBytes(limits: BudgetLimits, byteLength: number, nowMs: number = performance.now()): FrameBudgetVerdict {
    const burst = byteBurst(limits);
    // A frame larger than the burst could never pass; it pays a full bucket instead.
    if (this.bytes.take(limits.inboundBytesPerSecond, burst, nowMs, Math.min(byteLength, burst))) return "ok";
    return this.refuse(limits, nowMs);
  }

  /** Pays one control-frame token. */
  payControl(limits: BudgetLimits, nowMs: number = performance.now()): FrameBudgetVerdict {
    if (this.control.take(limits.controlFrameRefillPerSecond, limits.controlFrameBurst, nowMs)) return "ok";
    return this.refuse(limits, nowMs);
  }

  private refuse(limits: BudgetLimits, nowMs: number): "refused" | "flood" {
    const windowMs = FrameBudgetRules.floodWindowMs;
    const windowsPassed = Math.floor((nowMs - this.windowStartMs) / windowMs);
    if (windowsPassed > 0) {
      this.refusedLastWindow = windowsPassed === 1 ? this.refusedThisWindow : 0;
      this.refusedThisWindow = 0;
      this.windowStartMs += windowsPassed * windowMs;
    }
    this.refusedThisWindow += 1;
    const overlapOfLastWindow = 1 - (nowMs - this.windowStartMs) / windowMs;
    const refusedInSlidingWindow = this.refusedThisWindow + this.refusedLastWindow * overlapOfLastWindow;
    return refusedInSlidingWindow >= FrameBudgetRules.floodRefusalsPerBurst * limits.controlFrameBurst ? "flood" : "refused";
  }
}
