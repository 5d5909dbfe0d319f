// A new user's first minutes: sign up, create an app and a key, connect real SDK clients, watch the gauge.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { expect, test } from "./fixtures";
import { closeAll, startClient, startClients, type SdkClient } from "./sdk";

test.describe("onboarding", () => {
  // A brand-new visitor: no stored session.
  test.use({ storageState: { cookies: [], origins: [] } });

  let clients: SdkClient[] = [];
  test.afterEach(async () => {
    await closeAll(clients);
    clients = [];
  });

  test("sign up → create app → create key → 3 SDK clients show on the gauge within 10 s", async ({ page, stack }) => {
    const email = `new-${randomUUID().slice(0, 8)}@e2e.test`;
    await page.goto("/sign-up");
    await page.getByLabel("Name").fill("New Customer");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("a-long-enough-password");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.getByRole("heading", { name: "Apps", exact: true })).toBeVisible();
    await expect(page.getByText("No apps yet")).toBeVisible();

    // Create the app from the empty state, choosing the plan from cards that compare price, limits and overages.
    await page.getByRole("button", { name: "Create your first app" }).click();
    await page.getByLabel("App name").fill("Chat demo");
    const plans = page.getByRole("group", { name: /^Plan/ });
    await expect(plans.locator('[data-plan="starter"]')).toContainText("$29 / month");
    await expect(plans.locator('[data-plan="starter"]')).toContainText("1,000 concurrent connections");
    await expect(plans.locator('[data-plan="starter"]')).toContainText("$0.10 per 1,000 messages");
    await expect(plans.locator('[data-plan="free"]')).toContainText("No overages");
    await expect(plans.getByRole("radio", { name: /Free/ })).toBeChecked();
    await page.getByRole("button", { name: "Create app" }).click();
    await expect(page.getByRole("heading", { name: "Chat demo" })).toBeVisible();
    await expect(page).toHaveTitle("Overview · Chat demo · Tollgate");
    await expect(page.getByRole("meter", { name: "Concurrent connections" })).toHaveAttribute("aria-valuenow", "0");

    // A new app opens with a checklist instead of empty charts; each step ticks itself off from real state.
    const checklist = page.getByTestId("onboarding");
    await expect(checklist).toContainText("0 of 3 done");
    await expect(checklist.getByRole("listitem", { name: "Create a key: to do" })).toBeVisible();
    await expect(page.getByRole("figure")).toHaveCount(0);

    // Create a publishable key: the reveal shows it once with a copy button.
    await page.getByRole("link", { name: "Keys" }).click();
    await expect(page.getByTestId("key-count")).toHaveText("0 / 50");
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByLabel("Publishable — used directly by browsers").check();
    await page.getByLabel("Name").fill("browser");
    await page.getByRole("form", { name: "Create key" }).getByRole("button", { name: "Create key" }).click();
    const keyId = (await page.getByTestId("revealed-key-id").textContent()) ?? "";
    expect(keyId).toMatch(/^pk_live_/);
    await expect(page.getByRole("button", { name: "Copy key id" })).toBeVisible();
    await expect(page.getByTestId("key-count")).toHaveText("1 / 50");
    await expect(page.getByRole("table", { name: "Keys" }).getByRole("row", { name: /browser/ })).toContainText("publishable");

    // The connect snippet names this key and the relay.
    await page.getByRole("link", { name: "Connect" }).click();
    await expect(page.getByTestId("connect-snippet")).toContainText(keyId);
    await expect(page.getByTestId("connect-snippet")).toContainText(stack.relayUrl);

    // Three real SDK clients connect with the key.
    const first = startClient(stack.relayUrl, keyId);
    clients = [first, ...(await startClients(stack.relayUrl, keyId, 2))];
    expect(await Promise.all(clients.map((client) => client.connected))).toEqual([true, true, true]);

    await page.getByRole("link", { name: "Overview" }).click();
    const gauge = page.getByRole("meter", { name: "Concurrent connections" });
    await expect(gauge).toHaveAttribute("aria-valuenow", "3", { timeout: 10_000 });
    await expect(page.locator(".gauge").filter({ has: gauge })).toContainText("3 / 100");
    await expect(checklist.getByRole("listitem", { name: "Create a key: done" })).toBeVisible();
    await expect(checklist.getByRole("listitem", { name: "Connect a client: done" })).toBeVisible();
    await expect(checklist).toContainText("2 of 3 done");

    // Traffic moves the message gauge and the charts: two subscribers, five messages from the third client.
    const [alice, bob, carol] = clients.map((sdk) => sdk.client);
    if (!alice || !bob || !carol) throw new Error("three clients expected");
    await alice.subscribe("room/lobby");
    await bob.subscribe("room/lobby");
    for (let index = 0; index < 5; index += 1) await carol.publish("room/lobby", { index });
    await expect(page.getByRole("meter", { name: "Messages this period" })).toHaveAttribute("aria-valuenow", "5", { timeout: 15_000 });
    await expect(page.getByRole("figure", { name: /^Deliveries, last hour: total 10$/ })).toBeVisible({ timeout: 15_000 });
    await expect(page.getByRole("figure", { name: /^Concurrent connections \(peak\), last hour: peak 3$/ })).toBeVisible({ timeout: 15_000 });
    // The first message completes the checklist, and the charts take its place.
    await expect(checklist).toHaveCount(0, { timeout: 15_000 });
    await expect(page.getByTestId("chart-zone")).toHaveText(/^Times in UTC, one point per minute\.$/);
    await expect(page.getByRole("table", { name: "Message outcomes" }).getByRole("row", { name: /Delivered/ })).toContainText("10");
  });
});

test("a platform admin lands on the admin home after signing in", async ({ browser, stack }) => {
  const context = await browser.newContext({ baseURL: stack.webUrl, storageState: { cookies: [], origins: [] } });
  try {
    const page = await context.newPage();
    await page.goto("/sign-in");
    await page.getByLabel("Email").fill(stack.admin.email);
    await page.getByLabel("Password").fill(stack.admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/admin$/);
    await expect(page.getByRole("heading", { name: "Platform admin" })).toBeVisible();
  } finally {
    await context.close();
  }
});

test.describe("connect snippet", () => {
  let scripts: ChildProcess[] = [];
  test.afterEach(() => {
    for (const script of scripts) script.kill("SIGTERM");
    scripts = [];
  });

  /** Runs a snippet copied from the page as a Node script; resolves once it prints that it is connected. */
  async function runSnippet(code: string, file: string, env: Record<string, string> = {}): Promise<ChildProcess> {
    writeFileSync(file, code);
    const script = spawn(process.execPath, [file], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    scripts.push(script);
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`snippet did not connect within 20 s:\n${output}`)), 20_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("connected; press Ctrl-C to stop")) {
          clearTimeout(timer);
          resolve();
        }
      };
      script.stdout?.on("data", onData);
      script.stderr?.on("data", onData);
      script.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`snippet exited with ${code}:\n${output}`));
      });
    });
    return script;
  }

  test("both connect snippets run unchanged as Node scripts and show on the gauge", async ({ page, api }, testInfo) => {
    const app = await api.createApp({ name: `snippet ${Date.now()}` });
    // Both keys are used the moment they exist: the relay looks up a key it does not know yet.
    await api.createPublishableKey(app.id, "browser");
    const secret = await api.ok<{ key: { id: string }; secret: string }>("POST", `/api/apps/${app.id}/keys`, { kind: "secret", name: "backend" });

    await page.goto(`/apps/${app.id}/connect`);
    await page.getByLabel("Key").selectOption({ label: "browser (publishable)" });
    await runSnippet((await page.getByTestId("connect-snippet").textContent()) ?? "", testInfo.outputPath("publishable.mjs"));

    await page.getByLabel("Key").selectOption({ label: "backend (secret)" });
    await expect(page.getByTestId("connect-snippet")).toContainText(secret.key.id);
    await runSnippet((await page.getByTestId("connect-snippet").textContent()) ?? "", testInfo.outputPath("secret.mjs"), { TOLLGATE_SECRET: secret.secret });

    await page.getByRole("navigation", { name: "App sections" }).getByRole("link", { name: "Overview" }).click();
    await expect(page.getByRole("meter", { name: "Concurrent connections" })).toHaveAttribute("aria-valuenow", "2", { timeout: 10_000 });
    // Each script published one message.
    await expect(page.getByRole("meter", { name: "Messages this period" })).toHaveAttribute("aria-valuenow", "2", { timeout: 15_000 });
  });
});
