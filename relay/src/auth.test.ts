import { createSecretKey } from "node:crypto";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { authenticate, credentialFromQuery, credentialKeyId, credentialParams } from "./auth";
import type { PlanCache } from "./plan-cache";
import { CloseCode, Limits } from "./protocol";
import type { SnapshotApp, SnapshotKey } from "./protocol";

const token = "eyJhbGciOiJIUzI1NiIsImtpZCI6InNrX2lkX2EifQ.eyJzdWIiOiJwIn0.c2ln";

describe("credentialParams", () => {
  it.each([
    `token=${token}`,
    `key=pk_live_1`,
    `foo=1&token=${token}&bar`,
    `token=${token}&key=pk_live_1`,
    `token=a&token=b`,
    `key=a&key=b`,
    `token`,
    `token=`,
    `key=&x=1`,
    ``,
    `&&token=${token}&&`,
    `tok%65n=${token}`,
    `key=pk%5Flive+1`,
    `token=a=b`,
  ])("reads %j as URLSearchParams would", (query) => {
    const params = new URLSearchParams(query);
    expect(credentialParams(query)).toEqual({ tokens: params.getAll("token"), keys: params.getAll("key") });
  });
});

describe("credentialFromQuery", () => {
  it("decodes the token's header once, for the key id and for verification", () => {
    const credential = credentialFromQuery(`token=${token}`);
    expect(credential.kind).toBe("token");
    expect(credential.kind === "token" && credential.jwt?.header).toEqual({ alg: "HS256", kid: "sk_id_a" });
    expect(credentialKeyId(credential)).toBe("sk_id_a");
  });

  it("refuses a query with neither or both credentials, or a repeated one", () => {
    expect(credentialFromQuery("").kind).toBe("invalid");
    expect(credentialFromQuery(`token=${token}&key=pk_live_1`).kind).toBe("invalid");
    expect(credentialFromQuery("key=pk_a&key=pk_b").kind).toBe("invalid");
    expect(credentialKeyId(credentialFromQuery("key=pk_a&key=pk_b"))).toBeNull();
  });
});

describe("authenticate: the token's claims (PROTOCOL §1)", () => {
  const signingSecret = "sk_secret_0123456789abcdef0123456789abcdef";
  const nowMs = 1_800_000_000_000;
  const nowSec = nowMs / 1000;
  const key = {
    keyId: "sk_id_a",
    kind: "secret",
    channelPatterns: ["**"],
    actions: ["publish", "subscribe", "presence"],
    allowedOrigins: [],
    revoked: false,
    expiresAtUnix: null,
  } as unknown as SnapshotKey;
  const app = { appId: "app_a", status: "active" } as unknown as SnapshotApp;
  const planCache = { key: (keyId: string) => (keyId === key.keyId ? { app, key, hmacKey: createSecretKey(Buffer.from(signingSecret)) } : undefined) } as unknown as PlanCache;

  async function attempt(claims: Record<string, unknown>) {
    const token = await new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid: key.keyId }).sign(new TextEncoder().encode(signingSecret));
    return authenticate({ planCache, credential: credentialFromQuery(`token=${token}`), origin: undefined, expiryLeadMs: 250, nowMs });
  }

  const valid = { sub: "alice", exp: nowSec + 600 };

  it("admits a valid token with the key's actions, the token's narrower permissions, channels and metadata", async () => {
    const plain = await attempt(valid);
    expect(plain.ok && [...plain.identity.permissions].sort()).toEqual(["presence", "publish", "subscribe"]);
    const narrowed = await attempt({ ...valid, permissions: ["subscribe", "send"], channels: ["room/*"], metadata: { plan: "x" }, peerMetadata: { name: "A" } });
    expect(narrowed).toMatchObject({ ok: true, identity: { peerId: "alice", expiresAt: nowSec + 600, tokenChannels: ["room/*"], metadataJson: '{"plan":"x"}', peerMetadataJson: '{"name":"A"}' } });
    // A token never gains an action its key lacks ("send" is not the key's).
    expect(narrowed.ok && [...narrowed.identity.permissions]).toEqual(["subscribe"]);
  });

  it("admits a token that also claims usage (read by the control plane's GET /v1/usage): it grants nothing here", async () => {
    const withUsage = await attempt({ ...valid, permissions: ["subscribe", "usage"] });
    expect(withUsage.ok && [...withUsage.identity.permissions]).toEqual(["subscribe"]);
  });

  it.each([
    ["no sub", { exp: nowSec + 600 }],
    ["an empty sub", { ...valid, sub: "" }],
    ["a sub with a control character", { ...valid, sub: "a\u0001" }],
    ["a sub over 128 bytes", { ...valid, sub: "a".repeat(Limits.maxPeerIdBytes + 1) }],
    ["no exp", { sub: "alice" }],
    ["an exp past the longest lifetime", { ...valid, exp: nowSec + Limits.maxTokenLifetimeSec + Limits.clockToleranceSec + 1 }],
    ["an iat in the future", { ...valid, iat: nowSec + Limits.clockToleranceSec + 1 }],
    ["an nbf in the future", { ...valid, nbf: nowSec + Limits.clockToleranceSec + 1 }],
    ["channels that are not a list of strings", { ...valid, channels: ["a", 1] }],
    ["too many channels", { ...valid, channels: Array.from({ length: Limits.maxTokenChannels + 1 }, (_, i) => `c${i}`) }],
    ["a channel pattern longer than a channel name", { ...valid, channels: ["room/*", "*".repeat(Limits.maxChannelNameBytes + 1)] }],
    ["an unknown permission", { ...valid, permissions: ["publish", "admin"] }],
    ["too many permissions", { ...valid, permissions: Array.from({ length: Limits.maxTokenPermissions + 1 }, () => "publish") }],
    ["metadata that is not an object", { ...valid, metadata: [1, 2] }],
    ["metadata over its size limit", { ...valid, metadata: { blob: "x".repeat(Limits.maxMetadataBytes) } }],
    ["peerMetadata that is not an object", { ...valid, peerMetadata: "A" }],
    ["peerMetadata over its size limit", { ...valid, peerMetadata: { blob: "x".repeat(Limits.maxPeerMetadataBytes) } }],
  ])("refuses %s with 4001, naming the app and key for the log", async (_case, claims) => {
    const result = await attempt(claims);
    expect(result).toMatchObject({ ok: false, disconnect: { code: CloseCode.InvalidToken }, appId: "app_a", keyId: "sk_id_a" });
  });

  it("refuses an expired token, and one expiring within the lead, with 4002", async () => {
    expect(await attempt({ ...valid, exp: nowSec - Limits.clockToleranceSec - 1 })).toMatchObject({ ok: false, disconnect: { code: CloseCode.TokenExpired } });
    expect(await attempt({ ...valid, exp: nowSec })).toMatchObject({ ok: false, disconnect: { code: CloseCode.TokenExpired } });
  });
});
