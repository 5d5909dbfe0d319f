import { createSecretKey } from "node:crypto";
import { SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { decodeJwt, verifyHs256 } from "./jwt";

const secret = "sk_secret_0123456789abcdef0123456789abcdef";
const key = createSecretKey(Buffer.from(secret, "utf8"));
const nowMs = 1_800_000_000_000;
const nowSec = nowMs / 1000;
const tolerance = 5;

async function sign(claims: Record<string, unknown>, header: Record<string, unknown> = {}, signingSecret = secret): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid: "sk_id_a", ...header } as { alg: string }).sign(new TextEncoder().encode(signingSecret));
}

function verify(token: string) {
  const decoded = decodeJwt(token);
  if (!decoded) return { ok: false as const, expired: false, detail: "not a JWT" };
  return verifyHs256(decoded, { key, nowMs, clockToleranceSec: tolerance });
}

describe("verifyHs256", () => {
  it("accepts a token jose signed and returns its claims", async () => {
    const token = await sign({ sub: "alice", exp: nowSec + 60, channels: ["a/*"] });
    expect(decodeJwt(token)?.header).toMatchObject({ alg: "HS256", kid: "sk_id_a" });
    expect(verify(token)).toEqual({ ok: true, claims: { sub: "alice", exp: nowSec + 60, channels: ["a/*"] } });
  });

  it("refuses a wrong key, a tampered payload or signature, and a truncated signature", async () => {
    const token = await sign({ sub: "alice", exp: nowSec + 60 });
    expect(verify(await sign({ sub: "alice", exp: nowSec + 60 }, {}, `${secret}x`))).toMatchObject({ ok: false, expired: false });
    const [header, , signature] = token.split(".");
    const forged = Buffer.from(JSON.stringify({ sub: "mallory", exp: nowSec + 60 })).toString("base64url");
    expect(verify(`${header}.${forged}.${signature}`)).toMatchObject({ ok: false, detail: "signature verification failed" });
    expect(verify(`${token.slice(0, -2)}${token.endsWith("A") ? "B" : "A"}${token.slice(-1)}`)).toMatchObject({ ok: false });
    expect(verify(token.slice(0, -4))).toMatchObject({ ok: false });
  });

  it("refuses other algorithms, unsecured tokens and crit headers", async () => {
    expect(verify(new UnsecuredJWT({ sub: "alice", exp: nowSec + 60 }).encode())).toMatchObject({ ok: false });
    const hs512 = await new SignJWT({ sub: "alice", exp: nowSec + 60 }).setProtectedHeader({ alg: "HS512", kid: "sk_id_a" }).sign(new TextEncoder().encode(secret));
    expect(verify(hs512)).toMatchObject({ ok: false, detail: "only HS256 tokens are accepted" });
    const crit = await sign({ sub: "alice", exp: nowSec + 60 }, { crit: ["b64"], b64: true });
    expect(verify(crit)).toMatchObject({ ok: false });
  });

  it("refuses text that is not a compact JWS", () => {
    for (const text of ["", "a.b", "a.b.c.d", "a..c", "a.b.", "a.b.c", "e30.e30.a+b", "W10.e30.abc"]) expect(verify(text)).toMatchObject({ ok: false });
  });

  it("applies the clock tolerance to exp and nbf, and tells an expired token apart", async () => {
    expect(verify(await sign({ sub: "a", exp: nowSec - tolerance + 1 }))).toMatchObject({ ok: true });
    expect(verify(await sign({ sub: "a", exp: nowSec - tolerance }))).toEqual({ ok: false, expired: true, detail: "token expired" });
    expect(verify(await sign({ sub: "a", exp: nowSec + 60, nbf: nowSec + tolerance }))).toMatchObject({ ok: true });
    expect(verify(await sign({ sub: "a", exp: nowSec + 60, nbf: nowSec + tolerance + 1 }))).toMatchObject({ ok: false, expired: false });
  });

  it("requires exp and sub, and numeric time claims", async () => {
    expect(verify(await sign({ sub: "a" }))).toMatchObject({ ok: false, detail: "exp is required" });
    expect(verify(await sign({ exp: nowSec + 60 }))).toMatchObject({ ok: false, detail: "sub is required" });
    expect(verify(await sign({ sub: "a", exp: String(nowSec + 60) }))).toMatchObject({ ok: false });
    expect(verify(await sign({ sub: "a", exp: nowSec + 60, iat: "yesterday" }))).toMatchObject({ ok: false });
  });
});
