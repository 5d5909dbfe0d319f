// The one wrapper for /v1 (like dub's withWorkspace): secret-key auth, per-key rate limit, the 32 KB
// body cap and error mapping in the /v1 dialect. A handler receives the authenticated key and the
// parsed JSON body and only does: zod → domain call → JSON.
import type { NextRequest } from "next/server";
import { getDb } from "@/lib/db";
import { getServerEnv } from "@/lib/env";
import { DomainError } from "@/lib/errors";
import { type AuthenticatedKey, authenticateSecretKey } from "@/lib/keys/authenticate-secret-key";
import { handleApiError } from "./handle-api-error";
import { readCappedJson } from "./read-capped-body";
import { TokenBucketLimiter } from "./token-bucket-limiter";

interface RouteContext<Params> {
  params: Promise<Params>;
}

type ApiKeyHandler<Params> = (args: { req: NextRequest; key: AuthenticatedKey; params: Params; body: unknown }) => Promise<Response>;

let limiter: TokenBucketLimiter | undefined;

function getLimiter(): TokenBucketLimiter {
  if (!limiter) {
    const perSecond = getServerEnv().API_RATE_LIMIT_PER_SECOND;
    limiter = new TokenBucketLimiter(perSecond, perSecond * 2);
  }
  return limiter;
}

export function withApiKey<Params = Record<string, string>>(handler: ApiKeyHandler<Params>) {
  return async (req: NextRequest, context: RouteContext<Params>): Promise<Response> => {
    try {
      const key = await authenticateSecretKey(getDb(), req.headers.get("authorization"));
      const waitSec = getLimiter().take(key.keyId);
      if (waitSec > 0) {
        throw new DomainError("rate_limited", `Rate limit of ${getServerEnv().API_RATE_LIMIT_PER_SECOND} requests per second per key exceeded`, {
          retryAfterSec: waitSec,
        });
      }
      const body = req.method === "GET" || req.method === "DELETE" || req.method === "HEAD" ? undefined : await readCappedJson(req);
      return await handler({ req, key, params: await context.params, body });
    } catch (error) {
      return handleApiError(error, "v1");
    }
  };
}
