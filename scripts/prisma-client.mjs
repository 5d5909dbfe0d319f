// The generated Prisma client is rewritten only when the schema or Prisma itself changed, by one launcher
// at a time: two `prisma generate` runs in one checkout (parallel test files each starting a stack) failed
// with EEXIST while both recreated lib/generated/prisma.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { withDirectoryLock } from "./directory-lock.mjs";

export function prismaClientPaths(root) {
  const outputDir = path.join(root, "lib", "generated", "prisma");
  return {
    schema: path.join(root, "prisma", "schema.prisma"),
    client: path.join(outputDir, "client.ts"),
    stamp: path.join(outputDir, ".tollgate-schema-hash"),
    lockDir: path.join(root, ".prisma-generate.lock"),
  };
}

function schemaHash(root, paths) {
  const hash = createHash("sha256").update(readFileSync(paths.schema));
  for (const pkg of ["prisma", "@prisma/client"]) {
    const manifest = path.join(root, "node_modules", pkg, "package.json");
    if (existsSync(manifest)) hash.update(JSON.parse(readFileSync(manifest, "utf8")).version);
  }
  return hash.digest("hex");
}

function isCurrent(paths, hash) {
  return existsSync(paths.client) && existsSync(paths.stamp) && readFileSync(paths.stamp, "utf8") === hash;
}

/** Runs `generate` (which writes lib/generated/prisma) unless the client there was made from this schema; true when it ran. */
export async function generatePrismaClientIfNeeded(root, generate, lockOptions) {
  const paths = prismaClientPaths(root);
  const hash = schemaHash(root, paths);
  if (isCurrent(paths, hash)) return false;
  return withDirectoryLock(
    paths.lockDir,
    async () => {
      if (isCurrent(paths, hash)) return false;
      await generate();
      writeFileSync(paths.stamp, hash);
      return true;
    },
    lockOptions,
  );
}
