// Sign-in attempts are limited per IP and per email so a password cannot be guessed by spreading
// attempts over addresses or over accounts. In-process: the control plane is a single web process.

export interface SlidingWindowLimiterOptions {
  maxAttempts: number;
  windowMs: number;
  now?: () => number;
}

export class SlidingWindowLimiter {
  private readonly attempts = new Map<string, number[]>();
  private readonly maxAttempts: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(options: SlidingWindowLimiterOptions) {
    this.maxAttempts = options.maxAttempts;
    this.windowMs = options.windowMs;
    this.now = options.now ?? Date.now;
  }

  /** Records an attempt; returns 0 when allowed, else the seconds until the next attempt is allowed. */
  hit(key: string): number {
    const now = this.now();
    const recent = (this.attempts.get(key) ?? []).filter((at) => now - at < this.windowMs);
    if (recent.length >= this.maxAttempts) {
      this.attempts.set(key, recent);
      const oldest = recent[0] ?? now;
      return Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000));
    }
    recent.push(now);
    this.attempts.set(key, recent);
    if (this.attempts.size > 10_000) this.prune(now);
    return 0;
  }

  reset(key: string): void {
    this.attempts.delete(key);
  }

  private prune(now: number): void {
    for (const [key, times] of this.attempts) {
      if (times.every((at) => now - at >= this.windowMs)) this.attempts.delete(key);
    }
  }
}

export const signInLimits = {
  perIp: new SlidingWindowLimiter({ maxAttempts: 50, windowMs: 5 * 60_000 }),
  perEmail: new SlidingWindowLimiter({ maxAttempts: 10, windowMs: 5 * 60_000 }),
};
