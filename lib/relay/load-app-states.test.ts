// The change feed and the app-state lookup with more apps than PostgreSQL's 65,535 bound parameters: a
// whole snapshot that bound one parameter per app failed there. Here a plan change reaches 70,000 apps
// in one statement, the feed pages through them from its index, and a lookup costs the same as with one app.
import { CHANGE_FEED_PAGE_SIZE } from "@tollgate/relay/protocol";
import { describe, expect, it } from "vitest";
import { createTestApp, createUser, TEST_ENCRYPTION_KEY } from "@/tests/helpers/fixtures";
import { databaseWithPlansPerFile } from "@/tests/helpers/database-per-file";
import type { TestDatabase } from "@/tests/helpers/test-database";
import { createApiKey } from "@/lib/keys/create-api-key";
import { loadRelayAppStates } from "./load-app-states";
import { decodeFeedCursor, recordRelayChange, relayChangesSince } from "./relay-feed";

const BULK_APPS = 70_000;

let database: TestDatabase;
databaseWithPlansPerFile((created) => (database = created));

async function seedApps(count: number, planId: string, tenantId: string): Promise<void> {
  await database.db.$executeRaw`
    INSERT INTO "App" (id, "tenantId", name, "planId", "updatedAt")
    SELECT 'app_bulk_' || lpad(n::text, 6, '0'), ${tenantId}, 'Bulk ' || n, ${planId}, now()
    FROM generate_series(1, ${count}::int) AS n`;
}

async function readWholeFeed(cursorText: string): Promise<{ appIds: string[]; pages: number; cursor: string }> {
  const appIds: string[] = [];
  let pages = 0;
  let cursor = cursorText;
  for (;;) {
    const page = await relayChangesSince(database.db, decodeFeedCursor(cursor));
    pages += 1;
    appIds.push(...page.changes.map((change) => change.appId));
    cursor = page.cursor;
    if (!page.more) return { appIds, pages, cursor };
  }
}

describe("the relay change feed past 65,535 apps", () => {
  it("lists every app a plan change reached, a page at a time, each once; then nothing until the next change", async () => {
    const user = await createUser(database.db);
    const free = await database.db.plan.findUniqueOrThrow({ where: { slug: "free" } });
    await seedApps(BULK_APPS, free.id, user.tenantId);
    const head = await relayChangesSince(database.db, null);

    await database.db.$transaction((tx) => recordRelayChange(tx, { planId: free.id }));
    const feed = await readWholeFeed(head.cursor);
    expect(feed.appIds).toHaveLength(BULK_APPS);
    expect(new Set(feed.appIds).size).toBe(BULK_APPS);
    expect(feed.pages).toBe(Math.ceil(BULK_APPS / CHANGE_FEED_PAGE_SIZE));
    expect((await relayChangesSince(database.db, decodeFeedCursor(feed.cursor))).changes).toEqual([]);

    await database.db.$transaction((tx) => recordRelayChange(tx, { appId: "app_bulk_012345" }));
    expect((await relayChangesSince(database.db, decodeFeedCursor(feed.cursor))).changes.map((change) => change.appId)).toEqual(["app_bulk_012345"]);
  }, 120_000);

  it("looks an app up by key id among them, and answers a page of app ids in one call", async () => {
    const user = await createUser(database.db);
    const app = await createTestApp(database.db, { tenantId: user.tenantId });
    const key = await createApiKey(database.db, { appId: app.id, kind: "secret", name: "k", encryptionKey: TEST_ENCRYPTION_KEY });
    const byKey = await loadRelayAppStates(database.db, { keyId: key.id }, { encryptionKey: TEST_ENCRYPTION_KEY });
    expect(byKey.apps.map((found) => found.appId)).toEqual([app.id]);
    expect(byKey.apps[0]?.keys.find((k) => k.keyId === key.id)?.signingSecret).toBe(key.secret);
    const ids = Array.from({ length: 500 }, (_, i) => `app_bulk_${String(i + 1).padStart(6, "0")}`);
    const page = await loadRelayAppStates(database.db, { appIds: ids }, { encryptionKey: TEST_ENCRYPTION_KEY });
    expect(page.apps).toHaveLength(500);
    expect(await loadRelayAppStates(database.db, { keyId: "sk_live_unknown" }, { encryptionKey: TEST_ENCRYPTION_KEY })).toMatchObject({ apps: [] });
  }, 120_000);
});
