#!/usr/bin/env node
// Compiles the web app's HTTP server (server/web-server.ts) to `server/dist/web-server.mjs`, one plain
// ES module (scripts/bundle.mjs), so `npm start` runs it with no transpiler. Next's own build is separate.
//   node server/build.mjs           build when needed
//   node server/build.mjs --force   build regardless
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bundleWhenChanged, repoRoot } from "../scripts/bundle.mjs";

const serverDir = path.dirname(fileURLToPath(import.meta.url));
export const webServerEntryPoint = path.join(serverDir, "dist", "web-server.mjs");

/** Builds the web server unless the output matches the current sources; resolves to whether it built. */
export function buildWebServer({ force = false } = {}) {
  return bundleWhenChanged({ entryPoint: path.join(serverDir, "web-server.ts"), outfile: webServerEntryPoint, extraInputs: [fileURLToPath(import.meta.url)], force });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const built = await buildWebServer({ force: process.argv.includes("--force") });
  process.stdout.write(built ? `web server built: ${path.relative(repoRoot, webServerEntryPoint)}\n` : "web server build is up to date\n");
}
