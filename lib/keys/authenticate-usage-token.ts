// Browser authentication for `GET /v1/usage` (PROTOCOL §8, "browser usage"): a connection token minted
// with one of the app's secret keys (`Authorization: Bearer <jwt>` or `?token=<jwt>`), verified like the
// relay verifies it (HS256, `kid` naming a usable secret key, `exp` within the token lifetime). The token
// must claim the `usage` permission and its key must still grant it, so a page can read usage only when
// the server that minted its token meant it to.
import { Limits } from "@tollgate/relay/protocol";
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from "jose";
import type { Db } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { decryptSecret } from "./key-material";
import { keyIsUsable } from "./to-key-view";

export const USAGE_PERMISSION = "usage";

/** A compact JWS: three base64url parts (a secret key credential is `sk_id_…:sk_secret_…`, never this). */
const COMPACT_JWT = /^[A-Za-z0-9_-]{1,2048}\.[A-Za-z0-9_-]{1,8192}\.[A-Za-z0-9_-]{1,512}$/;

export interface UsageTokenKey {
  keyId: string;
  appId: string;
  tenantId: string;
}

function invalidToken(): DomainError {
  return new DomainError("unauthorized", "Invalid or expired token. Mint one with POST /v1/tokens, permissions including usage");
}

/** The token a request carries, in its Authorization header or its `token` query parameter; null when it carries none. */
export function presentedUsageToken(authorization: string | null, url: URL): string | null {
  const fromHeader = authorization?.trim().match(/^Bearer (\S+)$/)?.[1];
  const candidate = fromHeader ?? url.searchParams.get("token");
  return candidate !== null && candidate !== undefined && COMPACT_JWT.test(candidate) ? candidate : null;
}

/** The key id the token's header names, read without verifying: only ever use it to refuse, never to admit. */
export function presentedTokenKeyId(token: string): string | null {
  try {
    const { kid } = decodeProtectedHeader(token);
    return typeof kid === "string" && kid.length <= 128 ? kid : null;
  } catch {
    return null;
  }
}

export async function authenticateUsageToken(db: Db, token: string, options: { encryptionKey: string; now?: Date }): Promise<UsageTokenKey> {
  const now = options.now ?? new Date();
  const keyId = presentedTokenKeyId(token);
  const key = keyId
    ? await db.apiKey.findUnique({
        where: { id: keyId },
        select: { id: true, appId: true, kind: true, secretCiphertext: true, revokedAt: true, expiresAt: true, actions: true, app: { select: { tenantId: true, deletedAt: true } } },
      })
    : null;
  if (!key || key.kind !== "secret" || !key.secretCiphertext || !keyIsUsable(key, now) || key.app.deletedAt) throw invalidToken();

  let claims: Record<string, unknown>;
  try {
    const verified = await jwtVerify(token, new TextEncoder().encode(decryptSecret(key.secretCiphertext, options.encryptionKey)), {
      algorithms: ["HS256"],
      requiredClaims: ["exp", "sub"],
      clockTolerance: Limits.clockToleranceSec,
      currentDate: now,
    });
    claims = verified.payload;
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) throw invalidToken();
    throw error;
  }
  // The relay refuses a token that lives longer than a token may; so does this.
  if (typeof claims.exp !== "number" || claims.exp - now.getTime() / 1000 > Limits.maxTokenLifetimeSec + Limits.clockToleranceSec) throw invalidToken();
  const permissions = Array.isArray(claims.permissions) ? claims.permissions : [];
  if (!permissions.includes(USAGE_PERMISSION) || !key.actions.includes(USAGE_PERMISSION)) {
    throw new DomainError("action_not_permitted", "This token may not read usage: mint it with permissions including usage, from a secret key that allows usage");
  }
  return { keyId: key.id, appId: key.appId, tenantId: key.app.tenantId };
}
