// Connection authentication (PROTOCOL §1): a JWT found through its `kid`, or a publishable key.
// Returns the identity or the close code to refuse with; never throws for bad input. The parsed claims
// are dropped once checked: metadata is kept as the JSON text it serializes to (a string costs its
// bytes, a parsed object of thousands of `{}` many times more) and channel patterns as bounded strings.
import { randomUUID } from "node:crypto";
import { decodeJwt, verifyHs256 } from "./jwt";
import type { DecodedJwt } from "./jwt";
import { ACTIONS, Disconnect, KeyPrefix, Limits } from "./protocol";
import type { Action, DisconnectKind, SnapshotApp, SnapshotKey } from "./protocol";
import type { PlanCache } from "./plan-cache";
import { isJsonObject, isValidPeerId } from "./validation";

export interface Identity {
  app: SnapshotApp;
  key: SnapshotKey;
  peerId: string;
  /** Unix seconds, null for publishable keys. */
  expiresAt: number | null;
  permissions: ReadonlySet<Action>;
  /** The token's `permissions` claim; null = the key's actions alone (kept to re-derive on key changes). */
  tokenPermissions: readonly Action[] | null;
  /** The token's `channels` claim; null = the key's patterns alone. */
  tokenChannels: readonly string[] | null;
  /** The token's `metadata` claim as JSON text, for the welcome frame only (a connection does not keep it). */
  metadataJson?: string;
  /** The token's `peerMetadata` claim as JSON text, shown to other peers as it is. */
  peerMetadataJson?: string;
}

export type AuthResult =
  | { ok: true; identity: Identity }
  /** `detail` says which check failed, for the log; the client sees only the disconnect's code and reason. */
  | { ok: false; disconnect: DisconnectKind; detail: string; appId?: string; keyId?: string };

/**
 * What a connect presents, read once from the upgrade URL's query string: a token (decoded here, so the
 * header is parsed once per connect), a key, or a malformed mix.
 */
export type Credential =
  | { kind: "token"; token: string; jwt: DecodedJwt | null }
  | { kind: "key"; keyId: string }
  | { kind: "invalid"; detail: string };

/**
 * `token` and `key` of a query string (the part after `?`). A plain query (no `%` or `+`, as every
 * token and key is) is split by hand; anything else goes through URLSearchParams for its decoding.
 */
export function credentialParams(query: string): { tokens: string[]; keys: string[] } {
  const tokens: string[] = [];
  const keys: string[] = [];
  if (query.includes("%") || query.includes("+")) {
    const params = new URLSearchParams(query);
    return { tokens: params.getAll("token"), keys: params.getAll("key") };
  }
  let start = 0;
  while (start <= query.length) {
    let end = query.indexOf("&", start);
    if (end === -1) end = query.length;
    const equals = query.indexOf("=", start);
    const nameEnd = equals === -1 || equals > end ? end : equals;
    const name = query.slice(start, nameEnd);
    if (name === "token" || name === "key") (name === "token" ? tokens : keys).push(nameEnd === end ? "" : query.slice(nameEnd + 1, end));
    start = end + 1;
  }
  return { tokens, keys };
}

/** Reads the credential from the upgrade URL's query string (`query`: what follows `?`, or ""). */
export function credentialFromQuery(query: string): Credential {
  const { tokens, keys } = credentialParams(query);
  if ((tokens.length === 0) === (keys.length === 0)) return { kind: "invalid", detail: "exactly one of token or key is required" };
  if (tokens.length > 1 || keys.length > 1) return { kind: "invalid", detail: tokens.length > 1 ? "token is not a JWT" : "not a publishable key" };
  const token = tokens[0];
  if (token !== undefined) return { kind: "token", token, jwt: decodeJwt(token) };
  return { kind: "key", keyId: keys[0] ?? "" };
}

/** The key id a credential names, without verifying anything (used to pick the per-IP limit). */
export function credentialKeyId(credential: Credential): string | null {
  if (credential.kind === "key") return credential.keyId;
  if (credential.kind === "token") {
    const kid = credential.jwt?.header.kid;
    return typeof kid === "string" ? kid : null;
  }
  return null;
}

const refuse = (detail: string, extra: { appId?: string; keyId?: string } = {}): AuthResult => ({
  ok: false,
  disconnect: Disconnect.InvalidCredential,
  detail,
  ...extra,
});

const expired = (ids: { appId: string; keyId: string }): AuthResult => ({ ok: false, disconnect: Disconnect.TokenExpired, detail: "token expired", ...ids });

/** A key's own actions as a set, shared by every connection that has no `permissions` claim. */
const keyActionSets = new WeakMap<SnapshotKey, ReadonlySet<Action>>();

/** The token's permissions within the key's actions (a token never gains an action its key lacks). */
export function effectivePermissions(key: SnapshotKey, tokenPermissions: readonly Action[] | null): ReadonlySet<Action> {
  if (tokenPermissions !== null) return new Set(tokenPermissions.filter((action) => key.actions.includes(action)));
  let actions = keyActionSets.get(key);
  if (!actions) {
    actions = new Set(key.actions);
    keyActionSets.set(key, actions);
  }
  return actions;
}

/** The claim as JSON text when it is an object of at most `maxBytes` serialized, else null. */
function objectClaimJson(claim: unknown, maxBytes: number): string | null {
  if (!isJsonObject(claim)) return null;
  const text = JSON.stringify(claim);
  return Buffer.byteLength(text, "utf8") <= maxBytes ? text : null;
}

function keyUsable(key: SnapshotKey, nowSec: number): boolean {
  return !key.revoked && (key.expiresAtUnix === null || key.expiresAtUnix > nowSec);
}

function originAllowed(key: SnapshotKey, origin: string | undefined): boolean {
  if (key.allowedOrigins.length === 0) return true;
  return origin !== undefined && key.allowedOrigins.includes(origin);
}

export interface AuthenticateOptions {
  planCache: PlanCache;
  credential: Credential;
  origin: string | undefined;
  /** A token whose exp is closer than this is treated as already expired (it would be closed at once). */
  expiryLeadMs: number;
  nowMs?: number;
}

/** Synchronous: every check runs on data in memory (the plan cache), so a connect never waits on it. */
export function authenticate(options: AuthenticateOptions): AuthResult {
  const { planCache, credential } = options;
  const nowMs = options.nowMs ?? Date.now();
  const nowSec = Math.floor(nowMs / 1000);
  if (credential.kind === "invalid") return refuse(credential.detail);

  if (credential.kind === "key") {
    const keyId = credential.keyId;
    if (!keyId.startsWith(KeyPrefix.publishableKey)) return refuse("not a publishable key");
    const entry = planCache.key(keyId);
    if (!entry || entry.key.kind !== "publishable") return refuse("unknown key");
    const ids = { appId: entry.app.appId, keyId };
    if (!keyUsable(entry.key, nowSec)) return refuse("key revoked or expired", ids);
    if (!originAllowed(entry.key, options.origin)) return refuse("origin not allowed", ids);
    return finishWithAppStatus({
      app: entry.app,
      key: entry.key,
      peerId: randomUUID(),
      expiresAt: null,
      permissions: effectivePermissions(entry.key, null),
      tokenPermissions: null,
      tokenChannels: null,
    });
  }

  const decoded = credential.jwt;
  if (!decoded) return refuse("token is not a JWT");
  if (decoded.header.alg !== "HS256") return refuse("only HS256 tokens are accepted");
  const kid = decoded.header.kid;
  if (typeof kid !== "string") return refuse("token has no kid");
  const entry = planCache.key(kid);
  if (!entry || entry.key.kind !== "secret" || !entry.hmacKey) return refuse("unknown key");
  const ids = { appId: entry.app.appId, keyId: kid };
  if (!keyUsable(entry.key, nowSec)) return refuse("key revoked or expired", ids);

  const verified = verifyHs256(decoded, { key: entry.hmacKey, nowMs, clockToleranceSec: Limits.clockToleranceSec });
  if (!verified.ok) return verified.expired ? expired(ids) : refuse(verified.detail, ids);
  const claims = verified.claims;

  // jose checks nbf (with tolerance) but not an iat in the future, which only a skewed or forged
  // minting clock produces.
  if (typeof claims.iat === "number" && claims.iat > nowSec + Limits.clockToleranceSec) return refuse("iat in the future", ids);
  const sub = claims.sub;
  if (!isValidPeerId(sub)) return refuse("sub must be 1-128 bytes of printable ASCII", ids);
  const exp = claims.exp;
  if (typeof exp !== "number" || !Number.isFinite(exp)) return refuse("exp is required", ids);
  if (exp - nowSec > Limits.maxTokenLifetimeSec + Limits.clockToleranceSec) return refuse("exp too far in the future", ids);
  if (exp * 1000 - nowMs <= options.expiryLeadMs) return expired(ids);

  let tokenChannels: string[] | null = null;
  if (claims.channels !== undefined) {
    if (!Array.isArray(claims.channels) || claims.channels.length > Limits.maxTokenChannels) return refuse("invalid channels claim", ids);
    const channels: string[] = [];
    for (const c of claims.channels) {
      // A pattern is at most as long as a channel name, like a key's patterns: the connection keeps them.
      if (typeof c !== "string" || Buffer.byteLength(c, "utf8") > Limits.maxChannelNameBytes) return refuse("invalid channels claim", ids);
      channels.push(c);
    }
    tokenChannels = channels;
  }

  let tokenPermissions: Action[] | null = null;
  if (claims.permissions !== undefined) {
    if (!Array.isArray(claims.permissions) || claims.permissions.length > Limits.maxTokenPermissions) return refuse("invalid permissions claim", ids);
    tokenPermissions = [];
    for (const p of claims.permissions) {
      const action = ACTIONS.find((a) => a === p);
      if (!action) return refuse("invalid permissions claim", ids);
      tokenPermissions.push(action);
    }
  }
  const permissions = effectivePermissions(entry.key, tokenPermissions);

  const identity: Identity = { app: entry.app, key: entry.key, peerId: sub, expiresAt: exp, permissions, tokenPermissions, tokenChannels };
  if (claims.metadata !== undefined) {
    const metadataJson = objectClaimJson(claims.metadata, Limits.maxMetadataBytes);
    if (metadataJson === null) return refuse("invalid metadata claim", ids);
    identity.metadataJson = metadataJson;
  }
  if (claims.peerMetadata !== undefined) {
    const peerMetadataJson = objectClaimJson(claims.peerMetadata, Limits.maxPeerMetadataBytes);
    if (peerMetadataJson === null) return refuse("invalid peerMetadata claim", ids);
    identity.peerMetadataJson = peerMetadataJson;
  }
  return finishWithAppStatus(identity);
}

function finishWithAppStatus(identity: Identity): AuthResult {
  if (identity.app.status === "suspended") {
    return { ok: false, disconnect: Disconnect.AppSuspended, detail: "app suspended", appId: identity.app.appId, keyId: identity.key.keyId };
  }
  return { ok: true, identity };
}
