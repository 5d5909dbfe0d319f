// The set-up most domain test files share: a fresh migrated database with the plans seeded, made before
// the file's first test and dropped after its last.
import { afterAll, beforeAll } from "vitest";
import { seedPlans } from "./fixtures";
import { createTestDatabase, type TestDatabase } from "./test-database";

/** Registers the file's hooks; `created` receives the database once it exists (assign it to the file's own variable). */
export function databaseWithPlansPerFile(created: (database: TestDatabase) => void): void {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
    await seedPlans(database.db);
    created(database);
  });
  afterAll(async () => database?.drop());
}
