import { Limits } from "@tollgate/relay/protocol";
import { describe, expect, it } from "vitest";
import { databaseWithPlansPerFile } from "@/tests/helpers/database-per-file";
import type { TestDatabase } from "@/tests/helpers/test-database";
import { createTestApp, createUser, TEST_ENCRYPTION_KEY } from "@/tests/helpers/fixtures";
import { authenticateSecretKey } from "./authenticate-secret-key";
import { createApiKey } from "./create-api-key";
import { decryptSecret, hashSecret } from "./key-material";
import { listApiKeys, revokeApiKey, rollApiKey } from "./manage-api-keys";

let database: TestDatabase;
const actor = { id: null };

databaseWithPlansPerFile((created) => (database = created));

async function newApp() {
  const user = await createUser(database.db);
  return createTestApp(database.db, { tenantId: user.tenantId });
}

describe("secret keys", () => {
  it("store the secret only as a SHA-256 and as AES-256-GCM ciphertext, returning it once", async () => {
    const app = await newApp();
    const key = await createApiKey(database.db, { appId: app.id, kind: "secret", name: "backend", encryptionKey: TEST_ENCRYPTION_KEY });
    expect(key.secret).toMatch(/^sk_secret_/);
    const row = await database.db.apiKey.findUniqueOrThrow({ where: { id: key.id } });
    expect(row.secretHash).toBe(hashSecret(key.secret ?? ""));
    expect(row.secretCiphertext).not.toContain(key.secret ?? "");
    expect(decryptSecret(row.secretCiphertext ?? "", TEST_ENCRYPTION_KEY)).toBe(key.secret);
    expect(row.actions).toEqual(["publish", "subscribe", "presence", "send"]);
    expect(row.channelPatterns).toEqual(["**"]);
    const listed = await listApiKeys(database.db, { appId: app.id });
    expect(JSON.stringify(listed)).not.toContain(key.secret ?? "");
    expect(listed.keys[0]?.secretPrefix).toBe((key.secret ?? "").slice(0, 14));
  });

  it("publishable keys default to subscribe, publish and presence, with no secret", async () => {
    const app = await newApp();
    const key = await createApiKey(database.db, { appId: app.id, kind: "publishable", name: "web", encryptionKey: TEST_ENCRYPTION_KEY, allowedOrigins: ["https://a.example"] });
    expect(key.id).toMatch(/^pk_live_/);
    expect(key.secret).toBeNull();
    expect(key.actions).toEqual(["subscribe", "publish", "presence"]);
    expect(key.allowedOrigins).toEqual(["https://a.example"]);
  });
});

describe("the 50-key cap", () => {
  it("refuses the 51st key with a clear error", async () => {
    const app = await newApp();
    for (let i = 0; i < Limits.maxKeysPerApp; i++) {
      await createApiKey(database.db, { appId: app.id, kind: "publishable", name: `k${i}`, encryptionKey: TEST_ENCRYPTION_KEY });
    }
    await expect(createApiKey(database.db, { appId: app.id, kind: "secret", name: "one too many", encryptionKey: TEST_ENCRYPTION_KEY })).rejects.toMatchObject({
      code: "limit_exceeded",
      message: expect.stringContaining("at most 50 keys"),
    });
  });

  it("holds under concurrency: 60 parallel creates give exactly 50 keys", async () => {
    const app = await newApp();
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) => createApiKey(database.db, { appId: app.id, kind: "secret", name: `p${i}`, encryptionKey: TEST_ENCRYPTION_KEY })),
    );
    const refused = results.filter((r) => r.status === "rejected");
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(50);
    expect(refused).toHaveLength(10);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: "limit_exceeded" });
    expect(await database.db.apiKey.count({ where: { appId: app.id } })).toBe(50);
  }, 60_000);

  it("a burst larger than the connection pool waits its turn: 400 parallel creates give 50 keys and 350 limit_exceeded, no transaction timeouts", async () => {
    const app = await newApp();
    const results = await Promise.allSettled(
      Array.from({ length: 400 }, (_, i) => createApiKey(database.db, { appId: app.id, kind: "publishable", name: `b${i}`, encryptionKey: TEST_ENCRYPTION_KEY })),
    );
    const reasons = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as { code?: string }).code] : []));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(50);
    expect(reasons.filter((code) => code !== "limit_exceeded")).toEqual([]);
  }, 60_000);

  it("frees a slot when a key is revoked, and lets a key be rolled at the cap", async () => {
    const app = await newApp();
    const keys = [];
    for (let i = 0; i < Limits.maxKeysPerApp; i++) {
      keys.push(await createApiKey(database.db, { appId: app.id, kind: "publishable", name: `k${i}`, encryptionKey: TEST_ENCRYPTION_KEY }));
    }
    const [first, second] = keys;
    if (!first || !second) throw new Error("keys missing");
    await revokeApiKey(database.db, { actor, appId: app.id, keyId: first.id });
    await createApiKey(database.db, { appId: app.id, kind: "secret", name: "replacement", encryptionKey: TEST_ENCRYPTION_KEY });
    const rolled = await rollApiKey(database.db, { actor, appId: app.id, keyId: second.id, gracePeriodSec: 60, encryptionKey: TEST_ENCRYPTION_KEY });
    expect(rolled.previous.status).toBe("expiring");
    expect((await listApiKeys(database.db, { appId: app.id })).count).toBe(50);
  }, 60_000);
});

describe("revoke and roll", () => {
  it("revoked keys stop authenticating", async () => {
    const app = await newApp();
    const key = await createApiKey(database.db, { appId: app.id, kind: "secret", name: "s", encryptionKey: TEST_ENCRYPTION_KEY });
    const header = `Bearer ${key.id}:${key.secret}`;
    await expect(authenticateSecretKey(database.db, header)).resolves.toMatchObject({ keyId: key.id, appId: app.id });
    const revoked = await revokeApiKey(database.db, { actor, appId: app.id, keyId: key.id });
    expect(revoked.status).toBe("revoked");
    await expect(authenticateSecretKey(database.db, header)).rejects.toMatchObject({ code: "unauthorized" });
  });

  it("roll keeps the old key valid until the grace period ends, then not", async () => {
    const app = await newApp();
    const key = await createApiKey(database.db, { appId: app.id, kind: "secret", name: "s", encryptionKey: TEST_ENCRYPTION_KEY, channelPatterns: ["chat/*"] });
    const { key: next, previous } = await rollApiKey(database.db, { actor, appId: app.id, keyId: key.id, gracePeriodSec: 3600, encryptionKey: TEST_ENCRYPTION_KEY });
    expect(next.id).not.toBe(key.id);
    expect(next.secret).toMatch(/^sk_secret_/);
    expect(next.channelPatterns).toEqual(["chat/*"]);
    expect(next.rolledFromId).toBe(key.id);
    const oldHeader = `Bearer ${key.id}:${key.secret}`;
    await expect(authenticateSecretKey(database.db, oldHeader)).resolves.toMatchObject({ keyId: key.id });
    const afterGrace = new Date(Date.parse(previous.expiresAt ?? "") + 1000);
    await expect(authenticateSecretKey(database.db, oldHeader, afterGrace)).rejects.toMatchObject({ code: "unauthorized" });
    await expect(authenticateSecretKey(database.db, `Bearer ${next.id}:${next.secret}`, afterGrace)).resolves.toMatchObject({ keyId: next.id });
    await expect(rollApiKey(database.db, { actor, appId: app.id, keyId: key.id, gracePeriodSec: 0, encryptionKey: TEST_ENCRYPTION_KEY })).rejects.toMatchObject({ code: "conflict" });
  });

  it("a key of another app is not found", async () => {
    const [a, b] = [await newApp(), await newApp()];
    const key = await createApiKey(database.db, { appId: a.id, kind: "secret", name: "s", encryptionKey: TEST_ENCRYPTION_KEY });
    await expect(revokeApiKey(database.db, { actor, appId: b.id, keyId: key.id })).rejects.toMatchObject({ code: "not_found" });
  });

  it("authentication refuses a key id alone, a wrong secret, and a publishable key identically", async () => {
    const app = await newApp();
    const key = await createApiKey(database.db, { appId: app.id, kind: "secret", name: "s", encryptionKey: TEST_ENCRYPTION_KEY });
    const pk = await createApiKey(database.db, { appId: app.id, kind: "publishable", name: "p", encryptionKey: TEST_ENCRYPTION_KEY });
    const failures = await Promise.all(
      [null, `Bearer ${key.id}`, `Bearer ${key.id}:sk_secret_wrong`, `Bearer ${pk.id}`, `Bearer ${pk.id}:${key.secret}`, `Basic ${key.id}:${key.secret}`].map((header) =>
        authenticateSecretKey(database.db, header).then(
          () => "accepted",
          (error: Error) => error.message,
        ),
      ),
    );
    expect(new Set(failures).size).toBe(1);
    expect(failures[0]).not.toBe("accepted");
  });

  it("records when a key was last used", async () => {
    const app = await newApp();
    const key = await createApiKey(database.db, { appId: app.id, kind: "secret", name: "s", encryptionKey: TEST_ENCRYPTION_KEY });
    await authenticateSecretKey(database.db, `Bearer ${key.id}:${key.secret}`);
    const row = await database.db.apiKey.findUniqueOrThrow({ where: { id: key.id } });
    expect(row.lastUsedAt).toBeInstanceOf(Date);
  });
});
