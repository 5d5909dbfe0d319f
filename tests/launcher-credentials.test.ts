// Default credentials belong to the embedded default only: with DATABASE_URL set (production) the
// launcher requires ADMIN_PASSWORD, never prints it, and creates no demo tenant unless SEED_DEMO=1.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionClient } from "./helpers/session-client";
import { startStack, type Stack } from "./helpers/stack";

const root = path.resolve(import.meta.dirname, "..");

describe("credentials with DATABASE_URL set", () => {
  it("refuses to start without ADMIN_PASSWORD, naming it", () => {
    const { ADMIN_PASSWORD: _unset, ...env } = process.env;
    const result = spawnSync(process.execPath, ["scripts/start.mjs"], {
      cwd: root,
      env: { ...env, DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/never_used" },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/ADMIN_PASSWORD is required when DATABASE_URL is set/);
  });

  describe("with ADMIN_PASSWORD and without SEED_DEMO", () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ seedDemo: false });
    }, 240_000);
    afterAll(async () => {
      await stack?.stop();
    });

    it("creates the admin with that password, never prints it, and creates no demo tenant", async () => {
      const admin = new SessionClient(stack.webUrl);
      expect(await admin.signIn(stack.admin.email, stack.admin.password)).toBe(true);
      expect(await new SessionClient(stack.webUrl).signIn(stack.admin.email, "tollgate-admin")).toBe(false);
      expect(stack.logs()).not.toContain(stack.admin.password);
      expect(stack.logs()).toContain("<ADMIN_PASSWORD>");
      expect(await stack.db.user.count({ where: { email: "demo@tollgate.local" } })).toBe(0);
      expect(await stack.db.tenant.count({ where: { name: "Demo tenant" } })).toBe(0);
      expect(existsSync(path.join(stack.dataDir, "demo-credentials.json"))).toBe(false);
      expect(stack.logs()).not.toContain("tollgate-demo");
    });
  });
});
