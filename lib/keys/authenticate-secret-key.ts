// REST authentication with `Authorization: Bearer sk_id_…:sk_secret_…` (PROTOCOL §7). Every failure —
// no header, a key id alone, a publishable key, an unknown, revoked or expired key, a wrong secret —
// takes the same path (one database lookup, one constant-time hash comparison) and throws the same
// error, so neither the body nor the timing tells which part was wrong.
import { KeyPrefix } from "@tollgate/relay/protocol";
import type { Db } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { hashSecret, secretMatchesHash } from "./key-material";
import { keyIsUsable } from "./to-key-view";

export interface AuthenticatedKey {
  keyId: string;
  appId: string;
  tenantId: string;
  /** The presented signing secret (already verified): /v1/tokens signs with it, no decryption needed. */
  secret: string;
  channelPatterns: string[];
  actions: string[];
  /** A suspended app may still read (usage, presence) but not mint tokens or publish (PROTOCOL §7). */
  appStatus: "active" | "suspended";
}

const CREDENTIAL_PATTERN = new RegExp(`^Bearer (${KeyPrefix.secretKeyId}[A-Za-z0-9_-]{1,100}):(${KeyPrefix.secretKeySecret}[A-Za-z0-9_-]{1,200})$`);
const PLACEHOLDER_KEY_ID = `${KeyPrefix.secretKeyId}placeholder_never_issued`;
const PLACEHOLDER_HASH = hashSecret(`${KeyPrefix.secretKeySecret}placeholder`);
const LAST_USED_WRITE_INTERVAL_MS = 60_000;
const lastUsedWrites = new Map<string, number>();

export function unauthorizedError(): DomainError {
  return new DomainError("unauthorized", "Invalid or missing API key. Use Authorization: Bearer sk_id_…:sk_secret_…");
}

function parseCredentials(authorization: string | null): RegExpExecArray | null {
  return authorization ? CREDENTIAL_PATTERN.exec(authorization.trim()) : null;
}

/**
 * The key id a well-formed Authorization header names, read without a lookup: lets /v1 refuse a key
 * that is over its rate before any database work. Unverified: only ever use it to refuse, never to admit.
 */
export function presentedKeyId(authorization: string | null): string | null {
  return parseCredentials(authorization)?.[1] ?? null;
}

export async function authenticateSecretKey(db: Db, authorization: string | null, now: Date = new Date()): Promise<AuthenticatedKey> {
  const match = parseCredentials(authorization);
  const keyId = match?.[1] ?? PLACEHOLDER_KEY_ID;
  const secret = match?.[2] ?? "";
  const key = await db.apiKey.findUnique({
    where: { id: keyId },
    select: { id: true, appId: true, kind: true, secretHash: true, revokedAt: true, expiresAt: true, channelPatterns: true, actions: true, app: { select: { status: true, deletedAt: true, tenantId: true } } },
  });
  const secretOk = secretMatchesHash(secret, key?.secretHash ?? PLACEHOLDER_HASH);
  if (!match || !key || !secretOk || key.kind !== "secret" || !keyIsUsable(key, now) || key.app.deletedAt) throw unauthorizedError();

  // lastUsedAt is for humans ("used 3 minutes ago"): one write per key per minute is plenty.
  const lastWrite = lastUsedWrites.get(key.id) ?? 0;
  if (now.getTime() - lastWrite >= LAST_USED_WRITE_INTERVAL_MS) {
    lastUsedWrites.set(key.id, now.getTime());
    await db.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: now } });
  }
  return { keyId: key.id, appId: key.appId, tenantId: key.app.tenantId, secret, channelPatterns: key.channelPatterns, actions: key.actions, appStatus: key.app.status };
}

/** Minting tokens and publishing are refused for a suspended app (403 app_suspended, PROTOCOL §7). */
export function assertAppActive(key: AuthenticatedKey): void {
  if (key.appStatus === "suspended") throw new DomainError("app_suspended", "This app is suspended");
}
