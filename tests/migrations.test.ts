// Applying every migration to an empty database must yield exactly prisma/schema.prisma: a schema edit
// without its migration (or a hand-edited migration) fails here. The JS engine cannot diff a live
// database against a schema, so the test builds a second database from the SQL that creates
// schema.prisma from nothing (`migrate diff --from-empty`) and compares the two catalogs.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmptyDatabase, migrate } from "./helpers/test-database";

const execFileAsync = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..");

const CATALOG_QUERIES = {
  columns: `SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default
            FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
            ORDER BY table_name, column_name`,
  indexes: `SELECT tablename, indexname, indexdef FROM pg_indexes
            WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY tablename, indexname`,
  constraints: `SELECT conrelid::regclass::text AS table_name, conname, pg_get_constraintdef(oid) AS definition
                FROM pg_constraint WHERE connamespace = 'public'::regnamespace
                AND conrelid::regclass::text <> '_prisma_migrations' ORDER BY 1, 2`,
  enums: `SELECT t.typname, e.enumlabel, e.enumsortorder FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
          ORDER BY t.typname, e.enumsortorder`,
};

async function readCatalog(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const catalog: Record<string, unknown[]> = {};
    for (const [name, query] of Object.entries(CATALOG_QUERIES)) catalog[name] = (await client.query(query)).rows;
    return catalog;
  } finally {
    await client.end();
  }
}

describe("migrations", () => {
  let migrated: Awaited<ReturnType<typeof createEmptyDatabase>>;
  let pushed: Awaited<ReturnType<typeof createEmptyDatabase>>;
  beforeAll(async () => {
    [migrated, pushed] = await Promise.all([createEmptyDatabase(), createEmptyDatabase()]);
    await migrate(migrated.url);
    const { stdout: schemaSql } = await execFileAsync(
      path.join(root, "node_modules", ".bin", "prisma"),
      ["migrate", "diff", "--from-empty", "--to-schema-datamodel", "prisma/schema.prisma", "--script"],
      { cwd: root, env: { ...process.env, DATABASE_URL: pushed.url } },
    );
    const client = new pg.Client({ connectionString: pushed.url });
    await client.connect();
    await client.query(schemaSql);
    await client.end();
  });
  afterAll(async () => {
    await Promise.all([migrated?.dropDatabase(), pushed?.dropDatabase()]);
  });

  it("applied to an empty database, yield exactly the schema in schema.prisma", async () => {
    const [fromMigrations, fromSchema] = await Promise.all([readCatalog(migrated.url), readCatalog(pushed.url)]);
    expect(fromSchema.columns?.length).toBeGreaterThan(50);
    expect(fromMigrations).toEqual(fromSchema);
  });
});
