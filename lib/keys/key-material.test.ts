import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret, hashSecret, newSecretKeyPair, secretMatchesHash, visiblePrefix } from "./key-material";

const encryptionKey = randomBytes(32).toString("base64");

describe("key material", () => {
  it("issues prefixed ids and secrets", () => {
    const pair = newSecretKeyPair();
    expect(pair.keyId).toMatch(/^sk_id_[A-Za-z0-9_-]{20,}$/);
    expect(pair.secret).toMatch(/^sk_secret_[A-Za-z0-9_-]{40,}$/);
    expect(newSecretKeyPair().secret).not.toBe(pair.secret);
  });

  it("stores a SHA-256 of the secret that matches only that secret", () => {
    const { secret } = newSecretKeyPair();
    const hash = hashSecret(secret);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(secret);
    expect(secretMatchesHash(secret, hash)).toBe(true);
    expect(secretMatchesHash(`${secret}x`, hash)).toBe(false);
    expect(secretMatchesHash(secret, "00")).toBe(false);
  });

  it("encrypts with AES-256-GCM: round-trips, differs per encryption, never contains the secret", () => {
    const { secret } = newSecretKeyPair();
    const sealed = encryptSecret(secret, encryptionKey);
    expect(sealed).not.toContain(secret.slice(10));
    expect(encryptSecret(secret, encryptionKey)).not.toBe(sealed);
    expect(decryptSecret(sealed, encryptionKey)).toBe(secret);
  });

  it("refuses tampered ciphertext and the wrong key", () => {
    const sealed = encryptSecret("sk_secret_abc", encryptionKey);
    const [version, iv, tag, ciphertext] = sealed.split(".");
    const flipped = `${version}.${iv}.${tag}.${(ciphertext ?? "").replace(/^./, (c) => (c === "A" ? "B" : "A"))}`;
    expect(() => decryptSecret(flipped, encryptionKey)).toThrow();
    expect(() => decryptSecret(sealed, randomBytes(32).toString("base64"))).toThrow();
  });

  it("shows only a short prefix of the secret", () => {
    expect(visiblePrefix("sk_secret_abcdefghijkl")).toBe("sk_secret_abcd");
  });
});
