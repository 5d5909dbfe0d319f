#!/usr/bin/env node
// Compiles the relay to plain JavaScript for production: `relay/dist/main.js`, one ES module with the
// relay's own sources bundled and its npm dependencies left external (loaded from node_modules), so
// `node relay/dist/main.js` runs it in one process with no transpiler. Rebuilds only when a source
// changed: a hash of the inputs is kept beside the output.
//   node relay/build.mjs           build when needed
//   node relay/build.mjs --force   build regardless
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const relayDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(relayDir, "..");
export const relayEntryPoint = path.join(relayDir, "dist", "main.js");
const stampFile = path.join(relayDir, "dist", ".source-hash");

function inputsHash() {
  const hash = createHash("sha256");
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) hash.update(full).update(readFileSync(full));
    }
  };
  walk(path.join(relayDir, "src"));
  for (const file of [path.join(relayDir, "package.json"), path.join(relayDir, "build.mjs"), path.join(repoRoot, "package-lock.json")]) {
    if (existsSync(file)) hash.update(readFileSync(file));
  }
  return hash.digest("hex");
}

/** Builds the relay unless the output matches the current sources; resolves to whether it built. */
export async function buildRelay({ force = false } = {}) {
  const current = inputsHash();
  if (!force && existsSync(relayEntryPoint) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === current) return false;
  mkdirSync(path.dirname(relayEntryPoint), { recursive: true });
  const result = await build({
    entryPoints: [path.join(relayDir, "src", "main.ts")],
    outfile: relayEntryPoint,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: true,
    logLevel: "warning",
    write: false,
  });
  // Parallel launchers (test files) may build at once: each file is replaced whole, never half-written.
  for (const file of result.outputFiles) {
    const temporary = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.contents);
    renameSync(temporary, file.path);
  }
  writeFileSync(stampFile, current);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const built = await buildRelay({ force: process.argv.includes("--force") });
  process.stdout.write(built ? `relay built: ${path.relative(repoRoot, relayEntryPoint)}\n` : "relay build is up to date\n");
}
