import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadRelayAppStates } from "@/lib/relay/load-app-states";
import { createTestApp, createUser, TEST_ENCRYPTION_KEY } from "@/tests/helpers/fixtures";
import { databaseWithPlansPerFile } from "@/tests/helpers/database-per-file";
import type { TestDatabase } from "@/tests/helpers/test-database";
import { createApiKey } from "./create-api-key";
import { revokeApiKey, rollApiKey } from "./manage-api-keys";
import { RETIRED_KEY_RETENTION_MS, TenantKeyBudget } from "./tenant-key-budget";

let database: TestDatabase;
const actor = { id: null };
const DAY_MS = 86_400_000;

databaseWithPlansPerFile((created) => (database = created));

async function newTeam() {
  const user = await createUser(database.db);
  const [app, otherApp] = await Promise.all([createTestApp(database.db, { tenantId: user.tenantId }), createTestApp(database.db, { tenantId: user.tenantId })]);
  return { tenantId: user.tenantId, app, otherApp };
}

/** Keys written straight to the table (as the past left them), revoked at `revokedAt`. */
async function retiredKeys(appId: string, count: number, options: { revokedAt: Date; channelPatterns?: string[] }) {
  await database.db.apiKey.createMany({
    data: Array.from({ length: count }, () => ({
      id: `pk_live_${randomUUID()}`,
      appId,
      kind: "publishable" as const,
      name: "retired",
      channelPatterns: options.channelPatterns ?? ["**"],
      actions: ["subscribe"],
      allowedOrigins: [],
      revokedAt: options.revokedAt,
    })),
  });
}

const create = (appId: string, channelPatterns?: string[]) =>
  createApiKey(database.db, { appId, kind: "secret", name: "k", channelPatterns, encryptionKey: TEST_ENCRYPTION_KEY });

/** Patterns of at most 256 bytes each, `bytes` in all. */
function patternsOf(bytes: number): string[] {
  const patterns: string[] = [];
  for (let left = bytes; left > 0; left -= 256) patterns.push("p".repeat(Math.min(256, left)));
  return patterns;
}

describe("the team's budget of keys in the relay snapshot", () => {
  it(`refuses key ${TenantKeyBudget.maxKeysInSnapshot + 1}, counting keys revoked in the last 7 days across the team's apps, and names the budget`, async () => {
    const team = await newTeam();
    await retiredKeys(team.otherApp.id, TenantKeyBudget.maxKeysInSnapshot - 1, { revokedAt: new Date(Date.now() - 6 * DAY_MS) });
    await create(team.app.id);
    await expect(create(team.app.id)).rejects.toMatchObject({
      code: "limit_exceeded",
      message: expect.stringContaining(`a team may have at most ${TenantKeyBudget.maxKeysInSnapshot}`),
    });
    // Another team is not affected.
    const other = await newTeam();
    await expect(create(other.app.id)).resolves.toMatchObject({ kind: "secret" });
  });

  it("stops counting a retired key 7 days after it was revoked, and the keys of a deleted app", async () => {
    const team = await newTeam();
    await retiredKeys(team.app.id, TenantKeyBudget.maxKeysInSnapshot, { revokedAt: new Date(Date.now() - RETIRED_KEY_RETENTION_MS - 60_000) });
    await retiredKeys(team.otherApp.id, TenantKeyBudget.maxKeysInSnapshot, { revokedAt: new Date() });
    await expect(create(team.app.id)).rejects.toMatchObject({ code: "limit_exceeded" });
    await database.db.app.update({ where: { id: team.otherApp.id }, data: { deletedAt: new Date() } });
    await expect(create(team.app.id)).resolves.toMatchObject({ kind: "secret" });
  });

  it(`refuses a key that would take the team's patterns and origins past ${TenantKeyBudget.maxRuleBytes / 1024} KB; up to it is fine`, async () => {
    const team = await newTeam();
    await retiredKeys(team.otherApp.id, 1, { revokedAt: new Date(), channelPatterns: patternsOf(TenantKeyBudget.maxRuleBytes - 4) });
    await expect(create(team.app.id, ["abcde"])).rejects.toMatchObject({
      code: "limit_exceeded",
      message: expect.stringContaining(`a team may have at most ${TenantKeyBudget.maxRuleBytes / 1024} KB`),
    });
    const last = await create(team.app.id, ["abcd"]);
    // At the budget a roll (one more key with the same patterns) is refused too, and the old key is left as it was.
    await expect(rollApiKey(database.db, { actor, appId: team.app.id, keyId: last.id, gracePeriodSec: 60, encryptionKey: TEST_ENCRYPTION_KEY })).rejects.toMatchObject({
      code: "limit_exceeded",
    });
    expect(await database.db.apiKey.findUniqueOrThrow({ where: { id: last.id }, select: { expiresAt: true } })).toEqual({ expiresAt: null });
  });

  it("two keys added at once to different apps of a team cannot both pass the budget", async () => {
    const team = await newTeam();
    await retiredKeys(team.otherApp.id, 1, { revokedAt: new Date(), channelPatterns: patternsOf(TenantKeyBudget.maxRuleBytes - 10) });
    const outcomes = await Promise.allSettled([create(team.app.id, ["chat/a/*"]), create(team.otherApp.id, ["chat/b/*"])]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(outcomes.find((outcome) => outcome.status === "rejected")).toMatchObject({ reason: { code: "limit_exceeded" } });
  });

  it("a roll counts its new key; revoking never frees budget before the week is out", async () => {
    const team = await newTeam();
    await retiredKeys(team.otherApp.id, TenantKeyBudget.maxKeysInSnapshot - 2, { revokedAt: new Date() });
    const key = await create(team.app.id);
    await rollApiKey(database.db, { actor, appId: team.app.id, keyId: key.id, gracePeriodSec: 0, encryptionKey: TEST_ENCRYPTION_KEY });
    await expect(create(team.app.id)).rejects.toMatchObject({ code: "limit_exceeded" });
    await revokeApiKey(database.db, { actor, appId: team.app.id, keyId: key.id });
    await expect(create(team.app.id)).rejects.toMatchObject({ code: "limit_exceeded" });
  });
});

describe("retired keys in the relay snapshot", () => {
  it("stay for 7 days after they are revoked or their roll's grace period ends, then leave", async () => {
    const team = await newTeam();
    const now = new Date();
    const [revokedRecently, revokedLongAgo, expiredRecently, expiredLongAgo] = await Promise.all([create(team.app.id), create(team.app.id), create(team.app.id), create(team.app.id)]);
    const longAgo = new Date(now.getTime() - RETIRED_KEY_RETENTION_MS - 60_000);
    const recently = new Date(now.getTime() - RETIRED_KEY_RETENTION_MS + 60_000);
    await database.db.apiKey.update({ where: { id: revokedRecently.id }, data: { revokedAt: recently } });
    await database.db.apiKey.update({ where: { id: revokedLongAgo.id }, data: { revokedAt: longAgo } });
    await database.db.apiKey.update({ where: { id: expiredRecently.id }, data: { expiresAt: recently } });
    await database.db.apiKey.update({ where: { id: expiredLongAgo.id }, data: { expiresAt: longAgo } });
    const snapshot = await loadRelayAppStates(database.db, { appIds: [team.app.id] }, { encryptionKey: TEST_ENCRYPTION_KEY, now });
    const keys = snapshot.apps.find((app) => app.appId === team.app.id)?.keys ?? [];
    expect(keys.map((key) => key.keyId).sort()).toEqual([revokedRecently.id, expiredRecently.id].sort());
    expect(keys.every((key) => key.revoked)).toBe(true);
  });
});

describe("the documentation", () => {
  it("states the budgets and the retention as defined here", () => {
    const keys = `${TenantKeyBudget.maxKeysInSnapshot.toLocaleString("en-US")} keys`;
    const bytes = `${TenantKeyBudget.maxRuleBytes / 1024} KB`;
    const days = `${RETIRED_KEY_RETENTION_MS / DAY_MS} days`;
    for (const page of ["docs/security.md", "docs/dashboard-api.md", "docs/PROTOCOL.md"]) {
      const text = readFileSync(path.resolve(import.meta.dirname, "..", "..", page), "utf8");
      for (const fact of [keys, bytes, days]) expect(text, `${page}: ${fact}`).toContain(fact);
    }
  });
});
