// The seed is a script: it must exit once done, also when its writes publish change notices on Redis
// (npm start with DATABASE_URL, REDIS_URL and SEED_DEMO=1 used to hang at "seeding plans, admin and demo app").
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PLAN_CHANGE_CHANNEL, planChangeNoticeSchema, type PlanChangeNotice } from "@tollgate/relay/protocol";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ENCRYPTION_KEY } from "./helpers/fixtures";
import { createEmptyDatabase, type EmptyDatabase, migrate } from "./helpers/test-database";

const root = path.resolve(import.meta.dirname, "..");
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const EXIT_WITHIN_MS = 20_000;

let database: EmptyDatabase;
let dataDir: string;

beforeAll(async () => {
  database = await createEmptyDatabase();
  await migrate(database.url);
  dataDir = mkdtempSync(path.join(os.tmpdir(), "tollgate-seed-"));
}, 120_000);
afterAll(async () => {
  await database?.dropDatabase();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Runs the seed; resolves with its exit code, or null when it was still running after EXIT_WITHIN_MS. */
function runSeed(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(root, "node_modules", ".bin", "tsx"), ["prisma/seed.ts"], { cwd: root, env: { ...process.env, ...env } });
    let output = "";
    child.stdout.on("data", (chunk) => (output += String(chunk)));
    child.stderr.on("data", (chunk) => (output += String(chunk)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve({ code: null, output });
    }, EXIT_WITHIN_MS);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("prisma/seed.ts with REDIS_URL and SEED_DEMO=1", () => {
  it("exits by itself once the demo app exists, and its change notices reach Redis", async () => {
    const channel = `${PLAN_CHANGE_CHANNEL}:seed-test:${process.pid}`;
    const subscriber = new Redis(REDIS_URL);
    const notices: PlanChangeNotice[] = [];
    try {
      await subscriber.subscribe(channel);
      subscriber.on("message", (_channel: string, payload: string) => notices.push(planChangeNoticeSchema.parse(JSON.parse(payload))));
      const { code, output } = await runSeed({
        DATABASE_URL: database.url,
        REDIS_URL,
        REDIS_PLAN_CHANGE_CHANNEL: channel,
        SEED_DEMO: "1",
        TOLLGATE_DATA_DIR: dataDir,
        KEY_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        ADMIN_PASSWORD: "seed-test-admin-password",
      });
      expect(code, `the seed did not exit within ${EXIT_WITHIN_MS} ms:\n${output}`).toBe(0);
      expect(output).toMatch(/Demo app app_/);
      await expect.poll(() => notices.length).toBeGreaterThan(0);
      expect(notices.every((notice) => notice.appId?.startsWith("app_"))).toBe(true);
    } finally {
      subscriber.disconnect();
    }
  }, 60_000);
});
