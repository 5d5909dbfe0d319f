// Key ids, signing secrets, their SHA-256 for REST auth and AES-256-GCM ciphertext for relays (app states).
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { KeyPrefix } from "@tollgate/relay/protocol";

function randomToken(bytes: number): string {
  return randomBytes(bytes).toString("base64url");
}

export function newAppId(): string {
  return `${KeyPrefix.app}${randomToken(12)}`;
}

export function newSecretKeyPair(): { keyId: string; secret: string } {
  return { keyId: `${KeyPrefix.secretKeyId}${randomToken(16)}`, secret: `${KeyPrefix.secretKeySecret}${randomToken(32)}` };
}

export function newPublishableKeyId(): string {
  return `${KeyPrefix.publishableKey}${randomToken(24)}`;
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Constant-time comparison of a presented secret against a stored hash. */
export function secretMatchesHash(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), "hex");
  const stored = Buffer.from(storedHash, "hex");
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/** The visible prefix shown in key lists: enough to tell keys apart, useless to an attacker. */
export function visiblePrefix(secret: string): string {
  return secret.slice(0, KeyPrefix.secretKeySecret.length + 4);
}

const IV_BYTES = 12;

function encryptionKey(base64Key: string): Buffer {
  const key = Buffer.from(base64Key, "base64");
  if (key.length !== 32) throw new Error("KEY_ENCRYPTION_KEY must be 32 bytes encoded as base64");
  return key;
}

/** Returns `v1.<iv>.<tag>.<ciphertext>` (base64url parts). */
export function encryptSecret(secret: string, base64Key: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", encryptionKey(base64Key), iv);
  const ciphertext = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === "string" ? part : part.toString("base64url"))).join(".");
}

export function decryptSecret(sealed: string, base64Key: string): string {
  const [version, iv, tag, ciphertext] = sealed.split(".");
  if (version !== "v1" || !iv || !tag || !ciphertext) throw new Error("Unrecognised secret ciphertext format");
  const decipher = createDecipheriv("aes-256-gcm", encryptionKey(base64Key), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
}
