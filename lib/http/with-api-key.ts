// The one wrapper for /v1 (like dub's withWorkspace): secret-key auth, the request limits of
// api-rate-limits.ts (checked before the key's lookup where they can be), the 32 KB body cap, no-store
// and error mapping in the /v1 dialect. A handler receives the authenticated key and the parsed JSON body and only does: zod → domain call → JSON.
// No CSRF rule here: the key travels in the Authorization header, which a browser never adds by itself
// and which another site's page cannot send to us without a CORS preflight we never grant.
import type { NextRequest } from "next/server";
import { getDb } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { type AuthenticatedKey, authenticateSecretKey, presentedKeyId } from "@/lib/keys/authenticate-secret-key";
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

async function authenticate(req: NextRequest): Promise<AuthenticatedKey> {
  const source = clientLimitKey(req.headers);
  const authorization = req.headers.get("authorization");
  await admitBeforeAuthentication({ source, presentedKeyId: presentedKeyId(authorization) });
  try {
    return await authenticateSecretKey(getDb(), authorization);
  } catch (error) {
    if (error instanceof DomainError && error.code === "unauthorized") await recordFailedAuthentication(source);
    throw error;
  }
}

export function withApiKey<Params = Record<string, string>>(handler: ApiKeyHandler<Params>) {
  return async (req: NextRequest, context: RouteContext<Params>): Promise<Response> => noStore(await guarded(req, context));

  async function guarded(req: NextRequest, context: RouteContext<Params>): Promise<Response> {
    try {
      const key = await authenticate(req);
      await admitAuthenticated(key);
      const params = await context.params;
      assertParamsAreText(params);
      const body = req.method === "GET" || req.method === "DELETE" || req.method === "HEAD" ? undefined : await readCappedJson(req);
      return await handler({ req, key, params, body });
    } catch (error) {
      return handleApiError(error, "v1");
    }
  }
}
