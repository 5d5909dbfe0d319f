import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readSealedFile, seal, unseal, writeSealedFile } from "./sealed-file";

const SECRET = "relay-secret-for-the-sealed-file-tests";
const PLAINTEXT = JSON.stringify({ signingSecret: "sk_secret_0123456789abcdef" });
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "tollgate-sealed-"));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("sealed files", () => {
  it("round-trips, and the sealed text shows nothing of the plaintext", () => {
    const sealed = seal(PLAINTEXT, SECRET, "snapshot");
    expect(sealed).not.toContain("sk_secret_");
    expect(sealed).not.toContain("signingSecret");
    expect(unseal(sealed, SECRET, "snapshot")).toBe(PLAINTEXT);
    // A fresh IV each time: the same plaintext never seals to the same text.
    expect(seal(PLAINTEXT, SECRET, "snapshot")).not.toBe(sealed);
  });

  it("does not open with another secret, for another purpose, or after tampering", () => {
    const sealed = seal(PLAINTEXT, SECRET, "snapshot");
    expect(unseal(sealed, `${SECRET}-rotated`, "snapshot")).toBeNull();
    expect(unseal(sealed, SECRET, "usage")).toBeNull();
    const envelope = JSON.parse(sealed) as { data: string };
    const bytes = Buffer.from(envelope.data, "base64");
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    expect(unseal(JSON.stringify({ ...envelope, data: bytes.toString("base64") }), SECRET, "snapshot")).toBeNull();
    expect(unseal(PLAINTEXT, SECRET, "snapshot")).toBeNull();
    expect(unseal("not json", SECRET, "snapshot")).toBeNull();
  });

  it("writes mode 0600 in a directory it makes 0700, and reads back; a clear-text file from an older relay is unreadable", async () => {
    const dir = path.join(await tempDir(), "relay");
    const file = path.join(dir, "snapshot.json");
    expect(await readSealedFile(file, SECRET, "snapshot")).toEqual({ status: "missing" });
    await writeSealedFile(file, PLAINTEXT, SECRET, "snapshot");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(await readFile(file, "utf8")).not.toContain("sk_secret_");
    expect(await readSealedFile(file, SECRET, "snapshot")).toEqual({ status: "ok", plaintext: PLAINTEXT });
    await writeFile(file, PLAINTEXT);
    expect(await readSealedFile(file, SECRET, "snapshot")).toEqual({ status: "unreadable" });
  });
});
