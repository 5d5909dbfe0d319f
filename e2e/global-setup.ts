// Starts the real stack once for the whole run (fresh database, free ports, the production plan-cache poll
// so limit changes must arrive by notice, a fast usage flush so gauges move within seconds) and signs in
// once per role, saving each role's browser storage state for the specs to reuse.
import { chromium, type FullConfig } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startSmtpSink } from "../tests/helpers/smtp-sink";
import { startStack } from "../tests/helpers/stack";
import type { Credentials, StackInfo } from "./stack-info";

const PLAN_CACHE_REFRESH_MS = 60_000;
const CHANGE_DEADLINE_MS = 5_000;
const USAGE_FLUSH_MS = 1_000;

async function signUp(webUrl: string, credentials: Credentials): Promise<void> {
  const response = await fetch(`${webUrl}/api/auth/sign-up`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...credentials, name: "E2E Customer" }),
  });
  if (!response.ok) throw new Error(`sign-up of the e2e customer failed: ${response.status} ${await response.text()}`);
}

/** Signs in through the real sign-in page and saves the session cookie as storage state. */
async function saveSignedInState(config: FullConfig, webUrl: string, credentials: Credentials, file: string): Promise<void> {
  const launchOptions = config.projects[0]?.use.launchOptions ?? {};
  const browser = await chromium.launch(launchOptions);
  try {
    const page = await browser.newPage({ baseURL: webUrl });
    await page.goto("/sign-in");
    await page.getByLabel("Email").fill(credentials.email);
    await page.getByLabel("Password").fill(credentials.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    // Customers land on their apps, platform admins on the admin home.
    await page.waitForURL(/\/(apps|admin)$/, { timeout: 30_000 });
    await page.context().storageState({ path: file });
  } finally {
    await browser.close();
  }
}

export default async function globalSetup(config: FullConfig): Promise<() => Promise<void>> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "tollgate-e2e-"));
  // Mail goes over SMTP to a sink on 127.0.0.1 that drops each message into a folder the specs read.
  const mailDir = path.join(stateDir, "mail");
  const smtp = await startSmtpSink({ dropDir: mailDir });
  const stack = await startStack({ planCacheRefreshMs: PLAN_CACHE_REFRESH_MS, usageFlushMs: USAGE_FLUSH_MS, env: { SMTP_URL: smtp.url, WEBHOOK_ALLOWED_TARGETS: "127.0.0.1" } });
  try {
    const customer: Credentials = { email: `customer-${randomUUID().slice(0, 8)}@e2e.test`, password: "correct-horse-battery" };
    await signUp(stack.webUrl, customer);
    // The specs share this customer's team and together create more apps than the default app limit.
    await stack.db.tenant.updateMany({ where: { memberships: { some: { user: { email: customer.email } } } }, data: { maxApps: 200 } });
    const info: StackInfo = {
      webUrl: stack.webUrl,
      relayUrl: stack.relayUrl,
      changeDeadlineMs: CHANGE_DEADLINE_MS,
      mailDir,
      admin: { ...stack.admin, storageState: path.join(stateDir, "admin.json") },
      customer: { ...customer, storageState: path.join(stateDir, "customer.json") },
    };
    await saveSignedInState(config, stack.webUrl, info.admin, info.admin.storageState);
    await saveSignedInState(config, stack.webUrl, info.customer, info.customer.storageState);
    const stateFile = path.join(stateDir, "stack.json");
    writeFileSync(stateFile, JSON.stringify(info, null, 2));
    process.env.E2E_STATE_FILE = stateFile;
    process.env.E2E_WEB_URL = stack.webUrl;
  } catch (error) {
    console.error(stack.logs().slice(-4000));
    await stack.stop();
    await smtp.stop();
    throw error;
  }
  return async () => {
    await stack.stop();
    await smtp.stop();
  };
}
