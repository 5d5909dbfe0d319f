// The web app's Redis connection for state shared by its replicas (rate limits, sign-in throttling),
// present only when REDIS_URL is set; keys carry REDIS_KEY_PREFIX like the relay's, so deployments can
// share one Redis. A command waits at most COMMAND_TIMEOUT_MS: callers fall back to counting in their own
// process rather than hold a request while Redis is away.
import { Redis } from "ioredis";

const COMMAND_TIMEOUT_MS = 500;

const globalForRedis = globalThis as unknown as { tollgateWebRedis?: Redis | null };

export function getWebRedis(): Redis | null {
  if (globalForRedis.tollgateWebRedis === undefined) {
    const url = process.env.REDIS_URL;
    const client = url ? new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: COMMAND_TIMEOUT_MS, lazyConnect: false }) : null;
    client?.on("error", () => {
      // Reported by the failing command's caller (once); ioredis reconnects by itself.
    });
    globalForRedis.tollgateWebRedis = client;
  }
  return globalForRedis.tollgateWebRedis;
}

/** A key under the deployment's prefix: webKey("limit", "v1-key", "sk_id_…"); parts are escaped, so an IPv6 address cannot blur two keys. */
export function webKey(...parts: string[]): string {
  return `${process.env.REDIS_KEY_PREFIX || "tollgate:"}web:${parts.map(encodeURIComponent).join(":")}`;
}

/**
 * Runs `use` on the shared (Redis) implementation, or on the process's own when Redis does not answer:
 * limits loosen to per replica for that time rather than refuse every request.
 */
export async function sharedOrLocal<Implementation, Result>(
  shared: Implementation,
  local: Implementation,
  use: (implementation: Implementation) => Result | Promise<Result>,
): Promise<Result> {
  try {
    return await use(shared);
  } catch (error) {
    warnRedisUnavailable(error);
    return use(local);
  }
}

let warned = false;

/** Logs a Redis failure once per process (the fallback then counts locally until Redis answers again). */
export function warnRedisUnavailable(error: unknown): void {
  if (warned) return;
  warned = true;
  console.error(JSON.stringify({ level: "warn", msg: "redis unavailable: limits count in this process until it answers", error: error instanceof Error ? error.message : String(error) }));
}
