// The snapshot holds every app however many there are: PostgreSQL refuses a statement with more than
// 65,535 bound parameters, which a one-query snapshot passed at 65,534 apps (one parameter per app).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, seedPlans, TEST_ENCRYPTION_KEY } from "@/tests/helpers/fixtures";
import { createTestDatabase, type TestDatabase } from "@/tests/helpers/test-database";
import { buildRelaySnapshot } from "./build-relay-snapshot";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await seedPlans(database.db);
});
afterAll(async () => database?.drop());

async function seedApps(count: number): Promise<void> {
  const user = await createUser(database.db);
  const free = await database.db.plan.findUniqueOrThrow({ where: { slug: "free" } });
  await database.db.$executeRaw`
    INSERT INTO "App" (id, "tenantId", name, "planId", "updatedAt")
    SELECT 'app_bulk_' || lpad(n::text, 6, '0'), ${user.tenantId}, 'Bulk ' || n, ${free.id}, now()
    FROM generate_series(1, ${count}::int) AS n`;
}

describe("the relay snapshot", () => {
  it("holds all of 70,000 apps, past PostgreSQL's 65,535 bound parameters", async () => {
    await seedApps(70_000);
    const snapshot = await buildRelaySnapshot(database.db, { encryptionKey: TEST_ENCRYPTION_KEY });
    expect(snapshot.apps).toHaveLength(70_000);
    expect(new Set(snapshot.apps.map((app) => app.appId)).size).toBe(70_000);
  }, 120_000);

  it("reads the same apps a page at a time whatever the page size", async () => {
    const whole = await buildRelaySnapshot(database.db, { encryptionKey: TEST_ENCRYPTION_KEY });
    const paged = await buildRelaySnapshot(database.db, { encryptionKey: TEST_ENCRYPTION_KEY, pageSize: 7_001, now: new Date(whole.generatedAtUnixMs) });
    expect(paged.version).toBe(whole.version);
  }, 120_000);
});
