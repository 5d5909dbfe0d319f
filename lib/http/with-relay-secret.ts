// Guards the internal relay API: only `Authorization: Bearer <RELAY_SECRET>` gets in. Sessions and
// customer keys are not credentials here, so no CSRF rule applies (a browser never sends this header on
// its own). Answers carry signing secrets and usage: no-store. The comparison hashes both sides first so it is
// constant-time regardless of length.
import { createHash, timingSafeEqual } from "node:crypto";
import type { NextRequest } from "next/server";
import { getServerEnv } from "@/lib/env";
import { errorResponse, handleApiError } from "./handle-api-error";
import { noStore } from "./no-store";
import { readCappedJson } from "./read-capped-body";

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

export function relaySecretMatches(authorization: string | null, relaySecret: string): boolean {
  const presented = authorization?.startsWith("Bearer ") ? authorization.slice("Bearer ".length) : "";
  return timingSafeEqual(digest(presented), digest(relaySecret)) && presented.length > 0;
}

export function withRelaySecret(handler: (args: { req: NextRequest }) => Promise<Response>) {
  return async (req: NextRequest): Promise<Response> => {
    try {
      if (!relaySecretMatches(req.headers.get("authorization"), getServerEnv().RELAY_SECRET)) {
        return noStore(errorResponse(401, { error: "unauthorized", message: "Relay credentials required" }));
      }
      return noStore(await handler({ req }));
    } catch (error) {
      return noStore(handleApiError(error));
    }
  };
}

/**
 * A relay's JSON body, without the 32 KB cap of customer routes: a usage batch grows with the apps
 * active on the node during one flush (a few KB each), no tenant chooses its size, and only a holder of
 * RELAY_SECRET gets this far.
 */
export function readRelayJson(req: Request): Promise<unknown> {
  return readCappedJson(req, Number.POSITIVE_INFINITY);
}
