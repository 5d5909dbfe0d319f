// Per-connection token bucket (PROTOCOL §5): publish and send take a token from the message bucket;
// the frame budget (frame-budget.ts) keeps two more, for control frames and for inbound bytes. Rate and
// burst come from the app's current plan on every take, so a plan change applies to live connections.
export class TokenBucket {
  private tokens: number;
  private lastRefillMs: number;

  constructor(burst: number, nowMs: number = performance.now()) {
    this.tokens = burst;
    this.lastRefillMs = nowMs;
  }

  /** Takes `cost` tokens (one by default); false, taking none, when the bucket holds fewer. */
  take(refillPerSecond: number, burst: number, nowMs: number = performance.now(), cost = 1): boolean {
    const elapsedMs = nowMs - this.lastRefillMs;
    this.lastRefillMs = nowMs;
    this.tokens = Math.min(burst, this.tokens + (elapsedMs * refillPerSecond) / 1000);
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
}
