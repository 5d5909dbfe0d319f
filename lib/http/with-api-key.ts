// The one wrapper for /v1 (like dub's withWorkspace): secret-key auth, per-key rate limit, failed-auth
// throttle per source address, the 32 KB body cap, no-store and error mapping in the /v1 dialect. A
// handler receives the authenticated key and the parsed JSON body and only does: zod → domain call → JSON.
// No CSRF rule here: the key travels in the Authorization header, which a browser never adds by itself
// and which another site's page cannot send to us without a CORS preflight we never grant.
import type { NextRequest } from "next/server";
import { getDb } from "@/lib/db";
import { getServerEnv } from "@/lib/env";
import { DomainError } from "@/lib/errors";
import { type AuthenticatedKey, authenticateSecretKey } from "@/lib/keys/authenticate-secret-key";
import { clientLimitKey } from "./client-address";
import { handleApiError } from "./handle-api-error";
import { readCappedJson } from "./read-capped-body";
import { assertParamsAreText } from "./request-guard";
import { TokenBucketLimiter } from "./token-bucket-limiter";
import { noStore } from "./no-store";

interface RouteContext<Params> {
  params: Promise<Params>;
}

type ApiKeyHandler<Params> = (args: { req: NextRequest; key: AuthenticatedKey; params: Params; body: unknown }) => Promise<Response>;

let limiter: TokenBucketLimiter | undefined;

/**
 * Failed authentications per source address: a burst of 20, then one every second. An address out of
 * budget is refused before its credentials are looked at, so guessing cannot go on at full speed.
 */
export const FAILED_AUTH_BURST = 20;
export const FAILED_AUTH_REFILL_PER_SECOND = 1;
const failedAuthBySource = new TokenBucketLimiter(FAILED_AUTH_REFILL_PER_SECOND, FAILED_AUTH_BURST);

function tooManyFailures(waitSec: number): DomainError {
  return new DomainError("rate_limited", "Too many failed authentications from this address", { retryAfterSec: waitSec });
}

async function authenticate(req: NextRequest) {
  const source = clientLimitKey(req.headers);
  const blockedSec = failedAuthBySource.peek(source);
  if (blockedSec > 0) throw tooManyFailures(blockedSec);
  try {
    return await authenticateSecretKey(getDb(), req.headers.get("authorization"));
  } catch (error) {
    if (error instanceof DomainError && error.code === "unauthorized") failedAuthBySource.take(source);
    throw error;
  }
}

function getLimiter(): TokenBucketLimiter {
  if (!limiter) {
    const perSecond = getServerEnv().API_RATE_LIMIT_PER_SECOND;
    limiter = new TokenBucketLimiter(perSecond, perSecond * 2);
  }
  return limiter;
}

export function withApiKey<Params = Record<string, string>>(handler: ApiKeyHandler<Params>) {
  return async (req: NextRequest, context: RouteContext<Params>): Promise<Response> => noStore(await guarded(req, context));

  async function guarded(req: NextRequest, context: RouteContext<Params>): Promise<Response> {
    try {
      const key = await authenticate(req);
      const waitSec = getLimiter().take(key.keyId);
      if (waitSec > 0) {
        throw new DomainError("rate_limited", `Rate limit of ${getServerEnv().API_RATE_LIMIT_PER_SECOND} requests per second per key exceeded`, {
          retryAfterSec: waitSec,
        });
      }
      const params = await context.params;
      assertParamsAreText(params);
      const body = req.method === "GET" || req.method === "DELETE" || req.method === "HEAD" ? undefined : await readCappedJson(req);
      return await handler({ req, key, params, body });
    } catch (error) {
      return handleApiError(error, "v1");
    }
  }
}
