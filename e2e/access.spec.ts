// Tenancy and admin boundaries as a customer meets them in the browser.
import { expect, test } from "./fixtures";

test.describe("access", () => {
  test("another tenant's app URL shows the not-found page", async ({ page, adminApi }) => {
    // An app in the admin's own tenant: it exists, but the customer has no membership there.
    const foreign = await adminApi.createApp({ name: "Someone else's app" });
    await page.goto(`/apps/${foreign.id}`);
    await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
    await expect(page.getByText("Someone else's app")).toHaveCount(0);
    for (const section of ["keys", "billing", "connect"]) {
      await page.goto(`/apps/${foreign.id}/${section}`);
      await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
    }
  });

  test("a customer cannot open admin pages and sees no admin link", async ({ page, api }) => {
    await page.goto("/apps");
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Apps" })).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" })).toHaveCount(0);
    for (const path of ["/admin", "/admin/plans", "/admin/audit", "/admin/apps/app_anything"]) {
      const response = await page.goto(path);
      expect(response?.status()).toBe(404);
      await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
      await expect(page.getByRole("heading", { name: "Platform admin" })).toHaveCount(0);
    }
    expect((await api.call("GET", "/api/admin/plans")).status).toBe(404);
  });

  test("the admin sees the admin pages", async ({ adminPage }) => {
    await adminPage.goto("/admin");
    await expect(adminPage.getByRole("heading", { name: "Platform admin" })).toBeVisible();
    await expect(adminPage.getByRole("table", { name: "Apps" })).toBeVisible();
  });

  test("a signed-out visitor is sent to sign in", async ({ browser, stack }) => {
    const context = await browser.newContext({ baseURL: stack.webUrl, storageState: { cookies: [], origins: [] } });
    const page = await context.newPage();
    await page.goto("/apps");
    await expect(page).toHaveURL(/\/sign-in/);
    await context.close();
  });

  test("after signing in, a callbackUrl off the site lands on the apps page instead", async ({ browser, stack }) => {
    const context = await browser.newContext({ baseURL: stack.webUrl, storageState: { cookies: [], origins: [] } });
    const page = await context.newPage();
    for (const callbackUrl of ["https://evil.example/phish", "//evil.example", "/\\evil.example", "%2F%2Fevil.example"]) {
      await context.clearCookies();
      await page.goto(`/sign-in?callbackUrl=${encodeURIComponent(callbackUrl)}`);
      await page.getByLabel("Email").fill(stack.customer.email);
      await page.getByLabel("Password").fill(stack.customer.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page, callbackUrl).toHaveURL(new RegExp(`^${stack.webUrl}/apps$`));
    }
    await context.clearCookies();
    await page.goto(`/sign-in?callbackUrl=${encodeURIComponent("/apps?from=link")}`);
    await page.getByLabel("Email").fill(stack.customer.email);
    await page.getByLabel("Password").fill(stack.customer.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(`${stack.webUrl}/apps?from=link`);
    await context.close();
  });

  test("another site cannot frame the dashboard", async ({ page }) => {
    const response = await page.goto("/apps");
    expect(response?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(response?.headers()["x-frame-options"]).toBe("DENY");
  });
});

