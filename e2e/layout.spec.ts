// Every page at a desktop width and a phone width: nothing overflows sideways, and full-page screenshots
// are kept in the test output for a person to look at.
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { closeAll, startClient, type SdkClient } from "./sdk";

const viewports = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
];
const colorSchemes = ["light", "dark"] as const;

/** Neither the page nor any table in it scrolls sideways (a table that does hides its right-hand columns). */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `${page.url()} is wider than the viewport`).toBeLessThanOrEqual(0);
  const wideTables = await page.evaluate(() =>
    [...document.querySelectorAll(".table-wrap")]
      .filter((wrap) => wrap.scrollWidth > wrap.clientWidth + 1)
      .map((wrap) => `${wrap.querySelector("table")?.getAttribute("aria-label") ?? "a table"}: ${wrap.scrollWidth} px in ${wrap.clientWidth}`),
  );
  expect(wideTables, `${page.url()} has tables wider than their place`).toEqual([]);
}

let clients: SdkClient[] = [];
test.afterEach(async () => {
  await closeAll(clients);
  clients = [];
});

test("customer and admin pages fit a 1280 px desktop and a 390 px phone", async ({ page, api, adminPage, stack }, testInfo) => {
  // Eighteen pages, two widths, full-page screenshots: well past the default 90 s on a loaded machine.
  test.setTimeout(300_000);
  const app = await api.createApp({ name: `Layout ${Date.now()}` });
  const key = await api.createPublishableKey(app.id, "web");
  await api.ok("POST", `/api/apps/${app.id}/keys`, { kind: "secret", name: "backend", channelPatterns: ["room/*"] });
  await api.ok("POST", `/api/apps/${app.id}/billing/top-up`, { amountMinor: 5_000, cardNumber: "4242424242424242" });
  await api.ok("PATCH", `/api/apps/${app.id}`, { planSlug: "starter" });
  // Some live traffic so the gauges and charts have something to show.
  const listener = startClient(stack.relayUrl, key.id);
  const talker = startClient(stack.relayUrl, key.id);
  clients.push(listener, talker);
  expect(await Promise.all([listener.connected, talker.connected])).toEqual([true, true]);
  await listener.client.subscribe("room/lobby");
  for (let index = 0; index < 20; index += 1) await talker.client.publish("room/lobby", { index });

  const fresh = await api.createApp({ name: `Layout new ${Date.now()}` });
  const customerPages = [
    "/apps",
    `/apps/${app.id}`,
    `/apps/${fresh.id}`,
    `/apps/${app.id}/keys`,
    `/apps/${app.id}/billing`,
    `/apps/${app.id}/connect`,
    `/apps/${app.id}/settings`,
    "/team",
    "/team/invoices",
    "/team/invoices/upcoming",
    "/account",
    "/docs",
  ];
  const adminPages = ["/admin", `/admin/apps/${app.id}`, `/admin/tenants/${app.tenantId}`, "/admin/plans", "/admin/audit", "/admin/settings"];
  for (const viewport of viewports) {
    await page.setViewportSize(viewport);
    await adminPage.setViewportSize(viewport);
    for (const colorScheme of colorSchemes) {
      await page.emulateMedia({ colorScheme });
      for (const path of customerPages) {
        await page.goto(path);
        await expect(page.getByRole("status", { name: /^Loading/ })).toHaveCount(0);
        if (path === `/apps/${app.id}`) {
          await expect(page.getByRole("meter", { name: "Concurrent connections" })).toHaveAttribute("aria-valuenow", "2");
          await expect(page.getByRole("figure")).toHaveCount(4);
        }
        if (path === `/apps/${fresh.id}`) await expect(page.getByTestId("onboarding")).toBeVisible();
        await expectNoSidewaysScroll(page);
        await page.screenshot({ path: testInfo.outputPath(`${viewport.name}_${colorScheme}${path.replaceAll("/", "_")}.png`), fullPage: true });
      }
    }
    await page.emulateMedia({ colorScheme: "light" });
    // Every app tab is reachable at this width: none is cut off or scrolled out of sight (the ratio leaves
    // room for the active tab's underline, which sits on the tab bar's border).
    await page.goto(`/apps/${app.id}`);
    const tabs = page.getByRole("navigation", { name: "App sections" });
    for (const tab of ["Overview", "Keys", "Plan & billing", "Connect", "Settings"]) await expect(tabs.getByRole("link", { name: tab })).toBeInViewport({ ratio: 0.9 });
    // The test console with live frames fits too.
    const testConsole = page.getByRole("region", { name: "Test console" });
    await testConsole.getByRole("button", { name: "Connect" }).click();
    await expect(testConsole.getByTestId("console-status")).toHaveText("connected");
    await expectNoSidewaysScroll(page);
    await testConsole.screenshot({ path: testInfo.outputPath(`${viewport.name}_test-console.png`) });
    await testConsole.getByRole("button", { name: "Disconnect" }).click();
    // Open forms and dialogs fit too.
    await page.goto(`/apps/${app.id}/keys`);
    await page.getByRole("button", { name: "Create key" }).click();
    await expectNoSidewaysScroll(page);
    await page.screenshot({ path: testInfo.outputPath(`${viewport.name}_create-key-form.png`), fullPage: true });
    await page.getByRole("button", { name: "Revoke key web" }).click();
    await expect(page.getByRole("dialog")).toBeVisible();
    await expectNoSidewaysScroll(page);
    await page.screenshot({ path: testInfo.outputPath(`${viewport.name}_revoke-dialog.png`) });
    await page.keyboard.press("Escape");

    for (const path of adminPages) {
      await adminPage.goto(path);
      await expect(adminPage.getByRole("status", { name: /^Loading/ })).toHaveCount(0);
      await expectNoSidewaysScroll(adminPage);
      await adminPage.screenshot({ path: testInfo.outputPath(`${viewport.name}_admin${path.replaceAll("/", "_")}.png`), fullPage: true });
    }
    await adminPage.goto("/admin/plans");
    await adminPage.getByRole("button", { name: "Edit plan Starter" }).click();
    await expectNoSidewaysScroll(adminPage);
    await adminPage.screenshot({ path: testInfo.outputPath(`${viewport.name}_admin_plan-editor.png`), fullPage: true });
    // The team page with an invitation link open.
    await page.goto("/team");
    await page.getByRole("form", { name: "Invite someone" }).getByRole("button", { name: "Create invitation link" }).click();
    await expect(page.getByTestId("invitation-link")).toBeVisible();
    await expectNoSidewaysScroll(page);
    await page.screenshot({ path: testInfo.outputPath(`${viewport.name}_team-invitation.png`), fullPage: true });
  }
});

test.describe("signed out", () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test("sign-in, sign-up and not-found pages fit both widths", async ({ page, stack }, testInfo) => {
    for (const viewport of viewports) {
      await page.setViewportSize(viewport);
      for (const path of ["/sign-in", "/sign-up", "/reset-password", "/reset-password/pwr_not-a-real-token", "/invite/inv_not-a-real-token", "/no-such-page"]) {
        await page.goto(path);
        await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
        await expectNoSidewaysScroll(page);
        await page.screenshot({ path: testInfo.outputPath(`${viewport.name}${path.replaceAll("/", "_")}.png`), fullPage: true });
      }
    }
    // A wrong password is reported on the form, not by a crash or a silent reload.
    await page.goto("/sign-in");
    await page.getByLabel("Email").fill("nobody@e2e.test");
    await page.getByLabel("Password").fill("wrong-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "Wrong email or password" })).toBeVisible();
    // Signing up with a taken email is reported next to the email field.
    await page.goto("/sign-up");
    await page.getByLabel("Email").fill(stack.customer.email);
    await page.getByLabel("Password").fill("another-long-password");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.getByLabel("Email")).toHaveAttribute("aria-invalid", "true");
    await expect(page.getByLabel("Email")).toHaveAccessibleDescription("An account with this email already exists");
  });
});
