// Single-use link tokens (invitations, password resets): 32 random bytes shown once; only their
// SHA-256 is stored, so a database leak does not hand out working links.
import { createHash, randomBytes } from "node:crypto";

export function hashOneTimeToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function newOneTimeToken(prefix: string): { token: string; tokenHash: string } {
  const token = `${prefix}${randomBytes(32).toString("base64url")}`;
  return { token, tokenHash: hashOneTimeToken(token) };
}

/** The dashboard address links in mail point at, without a trailing slash. */
export function linkTo(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${path}`;
}
