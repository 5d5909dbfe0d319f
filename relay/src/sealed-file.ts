// Files the relay keeps on disk that hold secrets (the plan snapshot carries every secret key's signing
// secret) are sealed: AES-256-GCM with a key derived from RELAY_SECRET by HKDF-SHA256, written atomically
// with mode 0600 in a 0700 directory. A file sealed under another RELAY_SECRET, tampered with, or
// written in clear by an older relay does not open (the caller then waits for the control plane).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

const FORMAT = "tollgate-sealed-v1";
const IV_BYTES = 12;

const sealedSchema = z.object({
  format: z.literal(FORMAT),
  iv: z.string(),
  tag: z.string(),
  data: z.string(),
});

/** One key per purpose, so a sealed file can never be opened as another kind of file. */
function deriveKey(relaySecret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", relaySecret, "tollgate-relay-sealed-file", purpose, 32));
}

export function seal(plaintext: string, relaySecret: string, purpose: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", deriveKey(relaySecret, purpose), iv);
  cipher.setAAD(Buffer.from(purpose));
  const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return JSON.stringify({ format: FORMAT, iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), data: data.toString("base64") });
}

/** The plaintext, or null when the text is not a file sealed with this secret for this purpose. */
export function unseal(text: string, relaySecret: string, purpose: string): string | null {
  let envelope: z.infer<typeof sealedSchema>;
  try {
    const parsed = sealedSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return null;
    envelope = parsed.data;
  } catch {
    return null;
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", deriveKey(relaySecret, purpose), Buffer.from(envelope.iv, "base64"));
    decipher.setAAD(Buffer.from(purpose));
    decipher.setAuthTag(Buffer.from(envelope.tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(envelope.data, "base64")), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
}

/** Seals and writes atomically (temp file + rename), so a crash never leaves a half-written copy. */
export async function writeSealedFile(filePath: string, plaintext: string, relaySecret: string, purpose: string): Promise<void> {
  const dir = path.dirname(filePath);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const tmp = `${filePath}.${process.pid}.tmp`;
  await writeFile(tmp, seal(plaintext, relaySecret, purpose), { mode: 0o600 });
  await rename(tmp, filePath);
}

export type SealedRead = { status: "ok"; plaintext: string } | { status: "missing" } | { status: "unreadable" };

export async function readSealedFile(filePath: string, relaySecret: string, purpose: string): Promise<SealedRead> {
  let text: string;
  try {
    text = await readFile(filePath, "utf8");
  } catch {
    return { status: "missing" };
  }
  const plaintext = unseal(text, relaySecret, purpose);
  return plaintext === null ? { status: "unreadable" } : { status: "ok", plaintext };
}
