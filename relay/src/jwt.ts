// HS256 JWT verification (PROTOCOL §1), synchronous, with the signing key as a node:crypto KeyObject the
// plan cache prepares once per snapshot. A connect storm verifies thousands of tokens a second: WebCrypto
// (through jose) costs a key import and an asynchronous job per token, this an HMAC over ~300 bytes.
// The checks are those of jose's `jwtVerify` with `algorithms: ["HS256"]`, `requiredClaims: ["exp",
// "sub"]` and a clock tolerance: strict base64url, header and payload JSON objects, no `crit`, a
// constant-time signature comparison, then `nbf`/`exp` against the clock.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { isJsonObject } from "./validation";

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const HS256_SIGNATURE_BYTES = 32;

export interface DecodedJwt {
  header: Record<string, unknown>;
  /** `header.payload` exactly as received: what the signature covers. */
  signingInput: string;
  payloadSegment: string;
  signatureSegment: string;
}

function decodeJsonSegment(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return isJsonObject(value) ? value : null;
  } catch {
    return null;
  }
}

/** Splits and decodes the header without verifying anything; null when the text is not a compact JWS. */
export function decodeJwt(token: string): DecodedJwt | null {
  const firstDot = token.indexOf(".");
  const secondDot = token.indexOf(".", firstDot + 1);
  if (firstDot <= 0 || secondDot <= firstDot + 1 || token.indexOf(".", secondDot + 1) !== -1 || secondDot === token.length - 1) return null;
  const headerSegment = token.slice(0, firstDot);
  const payloadSegment = token.slice(firstDot + 1, secondDot);
  const signatureSegment = token.slice(secondDot + 1);
  if (!BASE64URL.test(headerSegment) || !BASE64URL.test(payloadSegment) || !BASE64URL.test(signatureSegment)) return null;
  const header = decodeJsonSegment(headerSegment);
  if (!header) return null;
  return { header, signingInput: token.slice(0, secondDot), payloadSegment, signatureSegment };
}

export type JwtVerification =
  | { ok: true; claims: Record<string, unknown> }
  | { ok: false; expired: boolean; detail: string };

const invalid = (detail: string): JwtVerification => ({ ok: false, expired: false, detail });

export interface VerifyOptions {
  key: KeyObject;
  nowMs: number;
  clockToleranceSec: number;
}

/** Verifies an HS256 token's signature and its time claims; `exp` and `sub` are required. */
export function verifyHs256(decoded: DecodedJwt, options: VerifyOptions): JwtVerification {
  if (decoded.header.alg !== "HS256") return invalid("only HS256 tokens are accepted");
  if (decoded.header.crit !== undefined) return invalid("crit header parameters are not supported");
  const signature = Buffer.from(decoded.signatureSegment, "base64url");
  const expected = createHmac("sha256", options.key).update(decoded.signingInput).digest();
  if (signature.length !== HS256_SIGNATURE_BYTES || !timingSafeEqual(signature, expected)) return invalid("signature verification failed");
  const claims = decodeJsonSegment(decoded.payloadSegment);
  if (!claims) return invalid("payload is not a JSON object");

  const nowSec = Math.floor(options.nowMs / 1000);
  const tolerance = options.clockToleranceSec;
  for (const claim of ["iat", "nbf", "exp"] as const) {
    if (claims[claim] !== undefined && (typeof claims[claim] !== "number" || !Number.isFinite(claims[claim]))) return invalid(`${claim} must be a number`);
  }
  if (claims.exp === undefined) return invalid("exp is required");
  if (typeof claims.sub !== "string") return invalid("sub is required");
  if (typeof claims.nbf === "number" && claims.nbf > nowSec + tolerance) return invalid("token not yet valid");
  if ((claims.exp as number) <= nowSec - tolerance) return { ok: false, expired: true, detail: "token expired" };
  return { ok: true, claims };
}
