// Per-connection token bucket (PROTOCOL §5): only publish and send take a token. Rate and burst come
// from the app's current plan on every take, so a plan change applies to live connections.
export class TokenBucket {
  private tokens: number;
  private lastRefillMs: number;

  constructor(burst: number, nowMs: number = performance.now()) {
    this.tokens = burst;
    this.lastRefillMs = nowMs;
  }

  /** Takes one token; false when the bucket is empty. */
  take(refillPerSecond: number, burst: number, nowMs: number = performance.now()): boolean {
    const elapsedMs = nowMs - this.lastRefillMs;
    this.lastRefillMs = nowMs;
    this.tokens = Math.min(burst, this.tokens + (elapsedMs * refillPerSecond) / 1000);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
