// Team invoices as a customer and an admin meet them: an admin's credit, with its reason, lands in the
// customer's ledger and on the team's next invoice, whose PDF downloads; an admin viewing as the customer
// is told so on every page and cannot change anything.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Page } from "@playwright/test";
import type { App } from "../components/api-types";
import { type Api, expect, test } from "./fixtures";

test("an admin credit appears in the ledger and on the team's next invoice, and the invoice's PDF downloads", async ({ page, api, adminPage }) => {
  const app = await api.createApp({ name: `credited ${Date.now()}` });
  await api.ok("POST", `/api/apps/${app.id}/billing/top-up`, { amountMinor: 4_000, cardNumber: "4242424242424242" });
  const reason = `Outage credit ${randomUUID().slice(0, 8)}`;

  await adminPage.goto(`/admin/apps/${app.id}`);
  const form = adminPage.getByRole("form", { name: "Correct the balance" });
  await form.getByLabel("Kind").selectOption("credit");
  await form.getByLabel("Amount (USD)").fill("12.34");
  await form.getByLabel("Reason (the customer sees it)").fill(reason);
  await form.getByRole("button", { name: "Record credit" }).click();
  await expect(adminPage.getByRole("table", { name: "Corrections" })).toContainText(reason);

  // The customer's ledger names the credit and its reason.
  await page.goto(`/apps/${app.id}/billing`);
  await expect(page.getByTestId("balance")).toHaveText("$52.34");
  await expect(page.getByRole("table", { name: "Ledger" })).toContainText(`Credit: ${reason}`);

  // The team's upcoming invoice lists it under the app, as a credit.
  await page.getByRole("link", { name: "View invoices" }).click();
  await expect(page.getByRole("heading", { name: "Invoices" })).toBeVisible();
  await page.getByRole("table", { name: "Invoices" }).getByRole("link", { name: "Upcoming invoice" }).click();
  const line = page.getByRole("table", { name: "Invoice lines" }).getByRole("rowgroup", { name: app.name }).getByRole("row").filter({ hasText: reason });
  await expect(line).toContainText("-$12.34");

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download PDF" }).click()]);
  expect(download.suggestedFilename()).toBe("upcoming-invoice.pdf");
  const pdf = await readFile(await download.path());
  expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
  expect(pdf.length).toBeGreaterThan(1_000);
});

test("an admin viewing as the customer sees a banner on every page, cannot change anything, and stops", async ({ api, adminPage, adminApi }) => {
  const app = await api.createApp({ name: `viewed ${Date.now()}` });
  // The admin is shared by every spec: whatever happens here, they stop viewing.
  try {
    await viewAndStop(app, adminPage, adminApi);
  } finally {
    await adminApi.call("DELETE", "/api/admin/view-as");
  }
});

async function viewAndStop(app: App, adminPage: Page, adminApi: Api) {
  await adminPage.goto(`/admin/tenants/${app.tenantId}`);
  await adminPage.getByRole("button", { name: "View as customer" }).click();
  await adminPage.waitForURL("**/apps");
  const banner = adminPage.getByTestId("view-as-banner");
  await expect(banner).toContainText("read-only");
  await expect(adminPage.getByText(app.name).first()).toBeVisible();

  await adminPage.goto(`/apps/${app.id}/billing`);
  await expect(banner).toBeVisible();
  await adminPage.goto("/team/invoices");
  await expect(banner).toBeVisible();
  await expect(adminPage.getByRole("table", { name: "Invoices" })).toBeVisible();

  const refused = await adminApi.call<{ error: string }>("PATCH", `/api/apps/${app.id}`, { name: "changed while viewing" });
  expect(refused.status).toBe(403);
  expect(refused.body.error).toBe("read_only_view");

  await banner.getByRole("button", { name: "Stop viewing" }).click();
  await adminPage.waitForURL(`**/admin/tenants/${app.tenantId}`);
  await expect(adminPage.getByTestId("view-as-banner")).toHaveCount(0);
  expect((await adminApi.call("GET", `/api/apps/${app.id}`)).status).toBe(404);
}
