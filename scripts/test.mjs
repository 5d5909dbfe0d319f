#!/usr/bin/env node
// `npm test`: every suite, one closing line `N passed, N failed` summing them all; exit 1 if any failed.
// Suites: typecheck (app, relay), lint, vitest (unit + integration), Playwright (e2e, real stack).
//   npm test -- --only=vitest,e2e     run a subset
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const reports = path.join(root, ".test-reports");
const bin = (name) => path.join(root, "node_modules", ".bin", name);
const only = process.argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length).split(",");

function run(command, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: "inherit" });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

/** A suite that is one check: it passes or fails as a whole. */
async function singleCheck(name, command, args) {
  const code = await run(command, args);
  return { name, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1 };
}

const suites = {
  typecheck: async () => {
    const app = await singleCheck("typecheck (app)", bin("tsc"), ["--noEmit", "-p", "tsconfig.json"]);
    const relay = await singleCheck("typecheck (relay)", bin("tsc"), ["--noEmit", "-p", "relay/tsconfig.json"]);
    return { name: "typecheck", passed: app.passed + relay.passed, failed: app.failed + relay.failed };
  },
  lint: () => singleCheck("lint", bin("eslint"), ["."]),
  vitest: async () => {
    const output = path.join(reports, "vitest.json");
    const code = await run(bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${output}`]);
    const report = readJson(output);
    if (!report) return { name: "vitest", passed: 0, failed: 1 };
    // A suite that failed to load has no tests but must still count as a failure.
    const failedFiles = (report.testResults ?? []).filter((file) => file.status === "failed" && (file.assertionResults ?? []).length === 0).length;
    const failed = report.numFailedTests + failedFiles;
    return { name: "vitest", passed: report.numPassedTests, failed: failed === 0 && code !== 0 ? 1 : failed };
  },
  e2e: async () => {
    if (!existsSync(path.join(root, "playwright.config.ts"))) return { name: "e2e", passed: 0, failed: 0 };
    const output = path.join(reports, "playwright.json");
    const code = await run(bin("playwright"), ["test"], { PLAYWRIGHT_JSON_OUTPUT_NAME: output });
    const report = readJson(output);
    if (!report) return { name: "e2e", passed: 0, failed: 1 };
    const { expected = 0, unexpected = 0, flaky = 0 } = report.stats ?? {};
    const failed = unexpected + (report.errors?.length ?? 0);
    return { name: "e2e", passed: expected + flaky, failed: failed === 0 && code !== 0 ? 1 : failed };
  },
};

async function main() {
  rmSync(reports, { recursive: true, force: true });
  mkdirSync(reports, { recursive: true });
  // Generate the Prisma client and build the web app once, up front: the typecheck needs the client,
  // and the integration and e2e suites start the real web app.
  const selected = Object.keys(suites).filter((name) => !only || only.includes(name));
  if ((await run(process.execPath, ["scripts/start.mjs", "--build-only"])) !== 0) {
    console.log("\nbuild failed\n0 passed, 1 failed");
    process.exit(1);
  }
  const results = [];
  for (const name of selected) {
    console.log(`\n━━ ${name} ━━`);
    results.push(await suites[name]());
  }
  console.log("\n━━ summary ━━");
  for (const result of results) console.log(`${result.name.padEnd(10)} ${result.passed} passed, ${result.failed} failed`);
  const passed = results.reduce((sum, r) => sum + r.passed, 0);
  const failed = results.reduce((sum, r) => sum + r.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

main();
