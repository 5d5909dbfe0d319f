// A fresh, fully migrated database per test file: a new database on the local PostgreSQL when it is
// reachable (fast, real), otherwise an embedded PGlite server on a free port. Dropped afterwards.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { createPrismaClient, type Db } from "@/lib/db";

const execFileAsync = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..", "..");
export const ADMIN_DATABASE_URL = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  url: string;
  db: Db;
  drop(): Promise<void>;
}

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

export async function migrate(url: string): Promise<void> {
  await execFileAsync(path.join(root, "node_modules", ".bin", "prisma"), ["migrate", "deploy"], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url },
  });
}

async function createOnPostgres(): Promise<{ url: string; dropDatabase: () => Promise<void> }> {
  const name = `tollgate_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dropDatabase: async () => {
      const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

async function createOnPglite(): Promise<{ url: string; dropDatabase: () => Promise<void> }> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const database = await PGlite.create();
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const server = new PGLiteSocketServer({ db: database, port, host: "127.0.0.1", maxConnections: 20 });
  await server.start();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    dropDatabase: async () => {
      await server.stop();
      await database.close();
    },
  };
}

/** Creates an empty database (not migrated). */
export async function createEmptyDatabase() {
  return (await postgresReachable()) ? createOnPostgres() : createOnPglite();
}

/** Creates a migrated database and a Prisma client for it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const { url, dropDatabase } = await createEmptyDatabase();
  await migrate(url);
  const db = createPrismaClient(url);
  return {
    url,
    db,
    drop: async () => {
      await db.$disconnect();
      await dropDatabase();
    },
  };
}
