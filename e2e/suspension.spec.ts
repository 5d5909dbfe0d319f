// A suspension as the app's team sees it: one banner on the app's pages (not the page's, the layout's and
// the notification's stacked), saying whether mail went out, and gone everywhere once an admin resumes.
import { expect, test } from "./fixtures";

test("a suspended app shows one banner that tells the truth about mail, and none once resumed", async ({ page, api, adminApi }) => {
  const app = await api.createApp({ name: `one banner ${Date.now()}` });
  await adminApi.ok("POST", `/api/admin/apps/${app.id}/suspend`, { reason: "e2e: one banner" });

  // Within the page's main region: while a page streams in, React holds the next content in a hidden
  // element outside it, and a page-wide lookup can meet both copies (strict mode violation in CI).
  const banner = page.getByRole("main").getByTestId("suspension-banner");
  await page.goto(`/apps/${app.id}`);
  const suspensionAlerts = page.getByRole("alert").filter({ hasText: /suspended/ });
  await expect(banner).toContainText("e2e: one banner");
  // Counted once the notifications (whose banner used to stack on this one) have loaded.
  await expect(page.getByRole("button", { name: /^Notifications/ })).toHaveAccessibleName(/unread/);
  await expect(suspensionAlerts).toHaveCount(1);
  // The stack runs with SMTP: the banner says the team was (or is being) emailed, never to reply to a mail.
  await expect(banner).toContainText(/emailed about it|email about it is on its way/);
  await expect(banner).not.toContainText("reply");
  // Elsewhere the notification banner says it.
  await page.goto("/apps");
  await expect(page.getByRole("alert").filter({ hasText: "was suspended" })).toHaveCount(1);

  await page.goto(`/apps/${app.id}`);
  await expect(banner).toBeVisible();
  await adminApi.ok("POST", `/api/admin/apps/${app.id}/resume`, {});
  // Without a reload, moving to another tab: the banner and the badge go (the status is polled while suspended).
  await page.getByRole("navigation", { name: "App sections" }).getByRole("link", { name: "Keys" }).click();
  await expect(banner).toHaveCount(0, { timeout: 20_000 });
  await expect(page.getByRole("heading", { level: 1 })).not.toContainText("suspended");
  await page.goto("/apps");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(page.getByRole("alert").filter({ hasText: "was suspended" })).toHaveCount(0);
});
