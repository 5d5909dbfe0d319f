// Shared fixtures: the stack's addresses, the customer's page (signed in once by the global setup and
// reused through its storage state), an admin page in its own context, and JSON API helpers acting as each.
import { test as base, expect, type APIRequestContext, type BrowserContext, type Page } from "@playwright/test";
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

interface Fixtures {
  stack: StackInfo;
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
});

export { expect };
