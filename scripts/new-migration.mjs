#!/usr/bin/env node
// Authors a migration by schema diff, because `prisma migrate dev` needs a shadow database that the
// offline JS engine cannot provide (ARCHITECTURE §4). Each migration folder keeps a copy of the schema
// it was generated from; the next migration is the diff from that copy to prisma/schema.prisma.
//   npm run migration:new -- <name>
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run migration:new -- <name>   (name: lowercase letters, digits, underscores)");
  process.exit(2);
}
const migrationsDir = "prisma/migrations";
const previous = existsSync(migrationsDir)
  ? readdirSync(migrationsDir).filter((entry) => /^\d{14}_/.test(entry)).sort().at(-1)
  : undefined;
const from = previous
  ? ["--from-schema-datamodel", path.join(migrationsDir, previous, "schema.prisma")]
  : ["--from-empty"];
// The JS engine connects through the adapter even for a pure schema diff, so it needs a reachable database.
const sql = execFileSync(
  "node_modules/.bin/prisma",
  ["migrate", "diff", ...from, "--to-schema-datamodel", "prisma/schema.prisma", "--script"],
  { encoding: "utf8", env: { DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/postgres", ...process.env } },
);
if (!/^(CREATE|ALTER|DROP)/m.test(sql)) {
  console.error("The schema has not changed since the last migration; nothing written.");
  process.exit(1);
}
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const dir = path.join(migrationsDir, `${stamp}_${name}`);
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, "migration.sql"), sql);
copyFileSync("prisma/schema.prisma", path.join(dir, "schema.prisma"));
if (!existsSync(path.join(migrationsDir, "migration_lock.toml"))) {
  writeFileSync(path.join(migrationsDir, "migration_lock.toml"), 'provider = "postgresql"\n');
}
console.log(`Wrote ${dir}/migration.sql`);
