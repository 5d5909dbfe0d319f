// Shared fixtures: the stack's addresses, the customer's page (signed in once by the global setup and
// reused through its storage state), an admin page in its own context, and JSON API helpers acting as each.
import { test as base, expect, type APIRequestContext, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { randomUUID } from "node:crypto";
import type { App, Key } from "../components/api-types";
import { readStackInfo, type StackInfo } from "./stack-info";

export class Api {
  constructor(private readonly request: APIRequestContext) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await this.request.fetch(path, { method, data: body === undefined ? undefined : body });
    const text = await response.text();
    return { status: response.status(), body: (text ? JSON.parse(text) : null) as T };
  }

  async ok<T>(method: string, path: string, body?: unknown): Promise<T> {
    const result = await this.call<T>(method, path, body);
    expect(result.status, `${method} ${path} → ${JSON.stringify(result.body)}`).toBeLessThan(300);
    return result.body;
  }

  async createApp(options: { planSlug?: string; name?: string } = {}): Promise<App> {
    const name = options.name ?? `e2e ${randomUUID().slice(0, 8)}`;
    return (await this.ok<{ app: App }>("POST", "/api/apps", { name, planSlug: options.planSlug ?? "free" })).app;
  }

  async createPublishableKey(appId: string, name = `key ${randomUUID().slice(0, 6)}`): Promise<Key> {
    return (await this.ok<{ key: Key }>("POST", `/api/apps/${appId}/keys`, { kind: "publishable", name })).key;
  }
}

/**
 * Collects what the browser refused under a page's Content-Security-Policy in any page of the context
 * (Chromium reports each refusal on the console), so every test also proves its pages run unharmed.
 */
function watchContentSecurityPolicy(context: BrowserContext): string[] {
  const violations: string[] = [];
  context.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) violations.push(`${message.page()?.url() ?? "?"}: ${message.text()}`);
  });
  return violations;
}

/** A customer of a team of their own: its wallet (balance, card, invoices) is touched by no other test. */
export interface OwnTeam {
  page: Page;
  api: Api;
}

/** Signs a new customer up (a new team) and in through the real sign-in page, in a context of its own. */
async function signInToNewTeam(browser: Browser, stack: StackInfo): Promise<{ context: BrowserContext; page: Page }> {
  const credentials = { email: `team-${randomUUID().slice(0, 8)}@e2e.test`, password: "correct-horse-battery" };
  const response = await fetch(`${stack.webUrl}/api/auth/sign-up`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...credentials, name: "E2E Team Owner" }),
  });
  expect(response.status, await response.text()).toBe(201);
  const context = await browser.newContext({ baseURL: stack.webUrl, storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(credentials.email);
  await page.getByLabel("Password").fill(credentials.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/apps$/);
  return { context, page };
}

interface Fixtures {
  stack: StackInfo;
  /** A newly signed-up customer and their own team, for tests about the team's money. */
  ownTeam: OwnTeam;
  /** The customer's JSON API (shares the page's session cookie). */
  api: Api;
  adminPage: Page;
  adminApi: Api;
}

export const test = base.extend<Fixtures>({
  // eslint-disable-next-line no-empty-pattern -- Playwright fixtures must destructure their dependencies.
  stack: async ({}, use) => {
    await use(readStackInfo());
  },
  storageState: async ({ stack }, use) => {
    await use(stack.customer.storageState);
  },
  page: async ({ page }, use) => {
    const violations = watchContentSecurityPolicy(page.context());
    await use(page);
    expect(violations, "Content-Security-Policy violations").toEqual([]);
  },
  api: async ({ page }, use) => {
    await use(new Api(page.request));
  },
  adminPage: async ({ browser, stack }, use) => {
    const context = await browser.newContext({ storageState: stack.admin.storageState, baseURL: stack.webUrl });
    const violations = watchContentSecurityPolicy(context);
    const page = await context.newPage();
    await use(page);
    await context.close();
    expect(violations, "Content-Security-Policy violations").toEqual([]);
  },
  adminApi: async ({ adminPage }, use) => {
    await use(new Api(adminPage.request));
  },
  ownTeam: async ({ browser, stack }, use) => {
    const { context, page } = await signInToNewTeam(browser, stack);
    const violations = watchContentSecurityPolicy(context);
    await use({ page, api: new Api(page.request) });
    await context.close();
    expect(violations, "Content-Security-Policy violations").toEqual([]);
  },
});

export { expect };
