// A fresh, fully migrated database per test file: a new database on the machine's PostgreSQL when it is
// reachable (fast, real), otherwise a cluster of its own on the embedded PostgreSQL (what `npm start`
// runs without DATABASE_URL) on a free port. Dropped afterwards.
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { createPrismaClient, type Db } from "@/lib/db";
import { ensureJobSchema } from "@/lib/jobs/enqueue-job";
import { embeddedDatabaseUrl, spawnEmbeddedPostgres } from "../../scripts/embedded-postgres.mjs";

const execFileAsync = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..", "..");
export const ADMIN_DATABASE_URL = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  url: string;
  db: Db;
  drop(): Promise<void>;
}

export interface EmptyDatabase {
  url: string;
  dropDatabase(): Promise<void>;
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

/** The app's migrations and the job queue's schema, as a started web app has them. */
export async function migrate(url: string): Promise<void> {
  await execFileAsync(path.join(root, "node_modules", ".bin", "prisma"), ["migrate", "deploy"], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url },
  });
  await ensureJobSchema(url);
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function createOnPostgres(template?: string): Promise<EmptyDatabase> {
  const name = `tollgate_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(template ? `CREATE DATABASE ${name} TEMPLATE ${template}` : `CREATE DATABASE ${name}`);
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

/** A new embedded PostgreSQL cluster in a temporary directory; dropping it stops the server and deletes it. */
export async function createEmbeddedDatabase(): Promise<EmptyDatabase> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tollgate-embedded-pg-"));
  const port = await freePort();
  const password = randomBytes(18).toString("base64url");
  const lines: string[] = [];
  const server = spawnEmbeddedPostgres({ clusterDir: path.join(dir, "postgres"), port, password, onLine: (line) => lines.push(line) });
  const dropDatabase = async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await server.ready;
  } catch (error) {
    await dropDatabase();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${lines.join("\n")}`);
  }
  return { url: embeddedDatabaseUrl({ port, password }), dropDatabase };
}

/** Creates an empty database (not migrated). */
export async function createEmptyDatabase(): Promise<EmptyDatabase> {
  return (await postgresReachable()) ? createOnPostgres() : createEmbeddedDatabase();
}

function databaseUrl(name: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** What a migrated database is made of: the migrations and the job queue's version. */
function migrationsFingerprint(): string {
  const migrations = path.join(root, "prisma", "migrations");
  const hash = createHash("sha256");
  for (const entry of readdirSync(migrations).sort()) {
    const file = path.join(migrations, entry, "migration.sql");
    if (existsSync(file)) hash.update(entry).update(readFileSync(file));
  }
  hash.update(readFileSync(path.join(root, "node_modules", "graphile-worker", "package.json")));
  return hash.digest("hex").slice(0, 16);
}

let template: Promise<string> | undefined;

/**
 * A migrated database to copy, made once per set of migrations (`CREATE DATABASE … TEMPLATE` copies it
 * in a fraction of what migrating takes). Test workers racing to make it each build one under a name
 * of their own; the first rename wins and the others drop theirs.
 */
function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const name = `tollgate_template_${migrationsFingerprint()}`;
    const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
    await admin.connect();
    try {
      const found = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
      if (found.rowCount) return name;
      const building = `${name}_${randomBytes(4).toString("hex")}`;
      await admin.query(`CREATE DATABASE ${building}`);
      await migrate(databaseUrl(building));
      try {
        await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
      } catch (error) {
        await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
        // Lost the race: another worker's template is there. Anything else is a real failure.
        if (!(await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount) throw error;
      }
      return name;
    } finally {
      await admin.end();
    }
  })();
  return template;
}

/** Creates a migrated database and a Prisma client for it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const onPostgres = await postgresReachable();
  const { url, dropDatabase } = onPostgres ? await createOnPostgres(await migratedTemplate()) : await createEmbeddedDatabase();
  if (!onPostgres) await migrate(url);
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
