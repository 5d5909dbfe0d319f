// The request limits of /v1 (docs/security.md), in the order withApiKey applies them. Before any
// database work: the source address's failed authentications and requests, and the key id the caller
// presents (only looked at: a key's tokens are spent by authenticated requests alone, so nobody can
// drain another's key by naming it). After authentication: the key, its app and its tenant, so a
// tenant cannot multiply its rate by creating keys or apps.
import { getServerEnv } from "@/lib/env";
import { DomainError } from "@/lib/errors";
import type { AuthenticatedKey } from "@/lib/keys/authenticate-secret-key";
import { createRateLimiter, type RateLimiter } from "./rate-limiter";

/**
 * Failed authentications per source address: a burst of 20, then one every second. An address out of
 * budget is refused before its credentials are looked at, so guessing cannot go on at full speed.
 */
export const FAILED_AUTH_BURST = 20;
export const FAILED_AUTH_REFILL_PER_SECOND = 1;

/**
 * Each scope's rate as a multiple of API_RATE_LIMIT_PER_SECOND (every bucket bursts twice its rate).
 * An app may use several keys and a tenant several apps, so each wider scope allows more than the
 * narrower one. An address allows two tenants' full rate: several customers' backends may leave one
 * hosting provider's egress address.
 */
export const API_RATE_LIMIT_MULTIPLES = { key: 1, app: 2, tenant: 4, address: 8 } as const;
type Scope = keyof typeof API_RATE_LIMIT_MULTIPLES;

const failedAuthBySource = createRateLimiter("v1-failed-auth", { refillPerSecond: FAILED_AUTH_REFILL_PER_SECOND, burst: FAILED_AUTH_BURST });
let requestLimiters: Record<Scope, RateLimiter> | undefined;

function perSecond(scope: Scope): number {
  return getServerEnv().API_RATE_LIMIT_PER_SECOND * API_RATE_LIMIT_MULTIPLES[scope];
}

function limiterFor(scope: Scope): RateLimiter {
  if (!requestLimiters) {
    const limiter = (of: Scope) => createRateLimiter(`v1-${of}`, { refillPerSecond: perSecond(of), burst: perSecond(of) * 2 });
    requestLimiters = { key: limiter("key"), app: limiter("app"), tenant: limiter("tenant"), address: limiter("address") };
  }
  return requestLimiters[scope];
}

async function admit(scope: Scope, subject: string, spend: boolean): Promise<void> {
  const limiter = limiterFor(scope);
  const waitSec = await (spend ? limiter.take(subject) : limiter.peek(subject));
  if (waitSec > 0) {
    throw new DomainError("rate_limited", `Rate limit of ${perSecond(scope)} requests per second per ${scope} exceeded`, { retryAfterSec: waitSec });
  }
}

/** The checks that need no database: throws rate_limited for an address or a presented key out of budget. */
export async function admitBeforeAuthentication(input: { source: string; presentedKeyId: string | null }): Promise<void> {
  const failuresWaitSec = await failedAuthBySource.peek(input.source);
  if (failuresWaitSec > 0) {
    throw new DomainError("rate_limited", "Too many failed authentications from this address", { retryAfterSec: failuresWaitSec });
  }
  await admit("address", input.source, true);
  if (input.presentedKeyId) await admit("key", input.presentedKeyId, false);
}

export async function recordFailedAuthentication(source: string): Promise<void> {
  await failedAuthBySource.take(source);
}

/** Spends one request of the key, then of its app, then of its tenant. */
export async function admitAuthenticated(key: Pick<AuthenticatedKey, "keyId" | "appId" | "tenantId">): Promise<void> {
  await admit("key", key.keyId, true);
  await admit("app", key.appId, true);
  await admit("tenant", key.tenantId, true);
}
