// Wraps a route handler: refuses cross-site and non-JSON writes (request-guard.ts) and bodies over 32 KB
// (read-capped-body.ts; readJson below reads with that cap), requires a signed-in user (and optionally a
// platform admin) or, on public routes, limits each address; keeps every answer out of caches and maps
// errors once. While a platform admin views as a customer (lib/tenancy/view-as.ts) every write is refused.
import type { NextRequest } from "next/server";
import type { SessionUser } from "@/lib/auth/authenticate";
import { getServerEnv } from "@/lib/env";
import { DomainError } from "@/lib/errors";
import { clientLimitKey } from "./client-address";
import { errorResponse, handleApiError } from "./handle-api-error";
import { noStore } from "./no-store";
import { assertDeclaredBodyWithinCap, readCappedJson } from "./read-capped-body";
import { refuseWhileViewing } from "@/lib/tenancy/view-as";
import { assertParamsAreText, assertSameSiteJson, isStateChanging } from "./request-guard";
import { getSessionUser } from "./session";
import { createRateLimiter } from "./rate-limiter";

interface RouteContext<Params> {
  params: Promise<Params>;
}

type SessionHandler<Params> = (args: { req: NextRequest; user: SessionUser; params: Params }) => Promise<Response>;

export function withSession<Params = Record<string, string>>(
  handler: SessionHandler<Params>,
  options: { requireAdmin?: boolean; allowWhileViewing?: boolean } = {},
) {
  return async (req: NextRequest, context: RouteContext<Params>): Promise<Response> =>
    noStore(await guarded(req, context));

  async function guarded(req: NextRequest, context: RouteContext<Params>): Promise<Response> {
    try {
      assertSameSiteJson(req, getServerEnv().NEXTAUTH_URL);
      assertDeclaredBodyWithinCap(req);
      const user = await getSessionUser();
      if (!user) return errorResponse(401, { error: "unauthorized", message: "Sign in first" });
      // Non-admins must not learn that admin endpoints exist.
      if (options.requireAdmin && !user.isPlatformAdmin) return errorResponse(404, { error: "not_found", message: "Not found" });
      // An admin viewing as a customer changes nothing, anywhere, until they stop viewing.
      if (user.viewingTenantId && isStateChanging(req.method) && !options.allowWhileViewing) refuseWhileViewing();
      const params = await context.params;
      assertParamsAreText(params);
      return await handler({ req, user, params });
    } catch (error) {
      return handleApiError(error);
    }
  }
}

/**
 * Requests a public route takes from one address: a burst, then one every PUBLIC_ROUTE_REFILL_SECONDS
 * (each route counts on its own). Enough for people, too little for a script creating accounts or
 * asking for reset mails at full speed.
 */
export const PUBLIC_ROUTE_BURST = 20;
export const PUBLIC_ROUTE_REFILL_SECONDS = 6;

/**
 * For routes anyone may call from our pages (sign-up, password reset): the same cross-site and JSON
 * rules, no session, and a per-address limit (429 with Retry-After).
 */
export function withSameSitePublic(route: string, handler: (args: { req: NextRequest }) => Promise<Response>) {
  const perAddress = createRateLimiter(`public-${route}`, { refillPerSecond: 1 / PUBLIC_ROUTE_REFILL_SECONDS, burst: PUBLIC_ROUTE_BURST });
  return async (req: NextRequest): Promise<Response> => {
    try {
      assertSameSiteJson(req, getServerEnv().NEXTAUTH_URL);
      assertDeclaredBodyWithinCap(req);
      const waitSec = await perAddress.take(clientLimitKey(req.headers));
      if (waitSec > 0) throw new DomainError("rate_limited", "Too many requests from this address: try again shortly", { retryAfterSec: waitSec });
      return noStore(await handler({ req }));
    } catch (error) {
      return noStore(handleApiError(error));
    }
  };
}

/**
 * The JSON body of a dashboard request, at most Limits.maxRestBodyBytes (else 413 payload_too_large);
 * malformed or missing JSON is a 400 with a clear message rather than a crash.
 */
export async function readJson(req: Request): Promise<unknown> {
  const body = await readCappedJson(req);
  if (body === undefined) throw new DomainError("invalid_request", "The request body must be valid JSON");
  return body;
}

/** Like readJson, but an empty body reads as `{}` (for POSTs whose every field is optional). */
export async function readOptionalJson(req: Request): Promise<unknown> {
  return (await readCappedJson(req)) ?? {};
}
