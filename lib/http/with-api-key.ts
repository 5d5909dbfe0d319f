// The one wrapper for /v1 (like dub's withWorkspace): secret-key auth, the request limits of
// api-rate-limits.ts (checked before the key's lookup where they can be), the 32 KB body cap, no-store
// and error mapping in the /v1 dialect. A handler receives the authenticated key and the parsed JSON body and only does: zod → domain call → JSON.
// No CSRF rule here: the key travels in the Authorization header, which a browser never adds by itself
// and which another site's page cannot send to us without a CORS preflight, granted only on the one
// route a browser may call with a usage token (GET /v1/usage), whose answers carry no cookie-based
// authority. Every request whose key or token was authenticated is entered in its app's request log
// (lib/v1/request-log.ts) once its answer is known, without waiting for the write.
import type { NextRequest } from "next/server";
import { getDb } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { getServerEnv } from "@/lib/env";
import { type AuthenticatedKey, authenticateSecretKey, presentedKeyId } from "@/lib/keys/authenticate-secret-key";
import { authenticateUsageToken, presentedTokenKeyId, presentedUsageToken, type UsageTokenKey } from "@/lib/keys/authenticate-usage-token";
import { getRequestLogWriter } from "@/lib/v1/request-log";
import { admitAuthenticated, admitBeforeAuthentication, recordFailedAuthentication } from "./api-rate-limits";
import { clientLimitKey } from "./client-address";
import { handleApiError } from "./handle-api-error";
import { readCappedJson } from "./read-capped-body";
import { assertParamsAreText } from "./request-guard";
import { noStore } from "./no-store";

interface RouteContext<Params> {
  params: Promise<Params>;
}

type ApiKeyHandler<Params> = (args: { req: NextRequest; key: AuthenticatedKey; params: Params; body: unknown }) => Promise<Response>;
type UsageTokenHandler = (args: { req: NextRequest; key: UsageTokenKey }) => Promise<Response>;

/** Refuses an address or a presented key id out of budget, then runs `authenticate`, counting its failures per address. */
async function authenticateWithin<Key>(req: NextRequest, presented: string | null, authenticate: () => Promise<Key>): Promise<Key> {
  const source = clientLimitKey(req.headers);
  await admitBeforeAuthentication({ source, presentedKeyId: presented });
  try {
    return await authenticate();
  } catch (error) {
    if (error instanceof DomainError && error.code === "unauthorized") await recordFailedAuthentication(source);
    throw error;
  }
}

function authenticateKey(req: NextRequest): Promise<AuthenticatedKey> {
  const authorization = req.headers.get("authorization");
  return authenticateWithin(req, presentedKeyId(authorization), () => authenticateSecretKey(getDb(), authorization));
}

/** Runs a route's work with the /v1 error mapping; `authenticated` names the app and key the request is logged under. */
async function runGuarded(req: NextRequest, work: (authenticated: (key: { appId: string; keyId: string }) => void) => Promise<Response>): Promise<Response> {
  const startedAt = new Date();
  const started = performance.now();
  const logged: { as: { appId: string; keyId: string } | null } = { as: null };
  let response: Response;
  try {
    response = await work((key) => {
      logged.as = key;
    });
  } catch (error) {
    response = handleApiError(error, "v1");
  }
  const key = logged.as;
  if (key) {
    getRequestLogWriter(getDb).record({
      appId: key.appId,
      keyId: key.keyId,
      method: req.method,
      path: req.nextUrl.pathname,
      status: response.status,
      durationMs: performance.now() - started,
      at: startedAt,
    });
  }
  return noStore(response);
}

function secretKeyRoute<Params>(req: NextRequest, context: RouteContext<Params>, handler: ApiKeyHandler<Params>): Promise<Response> {
  return runGuarded(req, async (authenticated) => {
    const key = await authenticateKey(req);
    authenticated(key);
    await admitAuthenticated(key);
    const params = await context.params;
    assertParamsAreText(params);
    const body = req.method === "GET" || req.method === "DELETE" || req.method === "HEAD" ? undefined : await readCappedJson(req);
    return handler({ req, key, params, body });
  });
}

export function withApiKey<Params = Record<string, string>>(handler: ApiKeyHandler<Params>) {
  return (req: NextRequest, context: RouteContext<Params>): Promise<Response> => secretKeyRoute(req, context, handler);
}

/** Any page may read the answers of a route a browser calls with a token: the token is the credential, no cookie is. */
function allowAnyOrigin(response: Response): Response {
  response.headers.set("Access-Control-Allow-Origin", "*");
  response.headers.set("Access-Control-Expose-Headers", "Retry-After");
  return response;
}

/**
 * A GET route for servers (a secret key, as withApiKey) and for browsers: a connection token of the app
 * claiming `usage` (PROTOCOL §8), in the Authorization header or the `token` query parameter, with CORS.
 * Both spend the same request limits.
 */
export function withApiKeyOrUsageToken(handlers: { secretKey: ApiKeyHandler<Record<string, string>>; usageToken: UsageTokenHandler }) {
  return async (req: NextRequest, context: RouteContext<Record<string, string>>): Promise<Response> => {
    const token = presentedUsageToken(req.headers.get("authorization"), new URL(req.url));
    if (token === null) return allowAnyOrigin(await secretKeyRoute(req, context, handlers.secretKey));
    return allowAnyOrigin(
      await runGuarded(req, async (authenticated) => {
        const key = await authenticateWithin(req, presentedTokenKeyId(token), () =>
          authenticateUsageToken(getDb(), token, { encryptionKey: getServerEnv().KEY_ENCRYPTION_KEY }),
        );
        authenticated(key);
        await admitAuthenticated(key);
        return handlers.usageToken({ req, key });
      }),
    );
  };
}

/** The preflight of a route wrapped in withApiKeyOrUsageToken: a page may send it the Authorization header. */
export function usageTokenPreflight(): Response {
  return new Response(null, {
    status: 204,
    headers: {
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Allow-Methods": "GET",
      "Access-Control-Allow-Headers": "Authorization",
      "Access-Control-Max-Age": "600",
    },
  });
}
