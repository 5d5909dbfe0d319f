#!/usr/bin/env node
// Compiles the relay to plain JavaScript for production: `relay/dist/main.js`, one ES module with the
// relay's own sources bundled and its npm dependencies left external (scripts/bundle.mjs), so
// `node relay/dist/main.js` runs it in one process with no transpiler. Rebuilds only when a source changed.
//   node relay/build.mjs           build when needed
//   node relay/build.mjs --force   build regardless
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bundleWhenChanged, repoRoot } from "../scripts/bundle.mjs";

const relayDir = path.dirname(fileURLToPath(import.meta.url));
export const relayEntryPoint = path.join(relayDir, "dist", "main.js");

/** Builds the relay unless the output matches the current sources; resolves to whether it built. */
export function buildRelay({ force = false } = {}) {
  return bundleWhenChanged({
    entryPoint: path.join(relayDir, "src", "main.ts"),
    outfile: relayEntryPoint,
    extraInputs: [path.join(relayDir, "package.json"), fileURLToPath(import.meta.url)],
    force,
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const built = await buildRelay({ force: process.argv.includes("--force") });
  process.stdout.write(built ? `relay built: ${path.relative(repoRoot, relayEntryPoint)}\n` : "relay build is up to date\n");
}
