// The audit log as an admin reads it: filters by actor and action, readable diffs, the per-app history
// with its keys' events, and a CSV export of exactly the filtered entries.
import { randomUUID } from "node:crypto";
import { expect, test } from "./fixtures";

test("filter the audit log by actor and action, read the diff, export the filtered CSV", async ({ adminPage, api, stack }) => {
  const app = await api.createApp({ name: `Audit ${randomUUID().slice(0, 6)}` });
  await api.ok("PATCH", `/api/apps/${app.id}`, { name: `${app.name} renamed` });
  const key = await api.createPublishableKey(app.id, "audited key");

  await adminPage.goto("/admin/audit");
  const filters = adminPage.getByRole("form", { name: "Filter audit entries" });
  await filters.getByLabel("Actor email").fill(stack.customer.email);
  await filters.getByLabel("Action").fill("app.update");
  await filters.getByRole("button", { name: "Apply filters" }).click();
  const table = adminPage.getByRole("table", { name: "Audit entries" });
  const row = table.getByRole("row").filter({ hasText: app.id });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("app.update");
  await expect(row.locator(".diff")).toContainText(`${app.name} renamed`);
  await expect(table).not.toContainText("api_key.create");

  const exportLink = adminPage.getByRole("link", { name: "Export CSV" });
  await expect(exportLink).toHaveAttribute("href", /action=app.update/);
  const csv = await adminPage.request.get((await exportLink.getAttribute("href")) ?? "");
  expect(csv.headers()["content-type"]).toContain("text/csv");
  const text = await csv.text();
  expect(text).toContain(`name: ${app.name} → ${app.name} renamed`);
  expect(text).not.toContain("api_key.create");

  await filters.getByLabel("Action").fill("no.such.action");
  await filters.getByRole("button", { name: "Apply filters" }).click();
  await expect(adminPage.getByText("No audit entries match these filters.")).toBeVisible();

  // The app's own page lists its key events too.
  await adminPage.goto(`/admin/apps/${app.id}`);
  await expect(adminPage.getByRole("table", { name: "Audit entries" })).toContainText(key.id);
  await expect(adminPage.getByTestId("admin-live-usage")).toBeVisible();
});

test("a deleted app stays findable by a member's email, with who deleted it", async ({ adminPage, api, stack }) => {
  const app = await api.createApp({ name: `Deleted ${randomUUID().slice(0, 6)}` });
  await api.ok("DELETE", `/api/apps/${app.id}`);
  await adminPage.goto("/admin");
  await adminPage.getByRole("searchbox", { name: "Search tenants and apps" }).fill(stack.customer.email);
  const row = adminPage.getByRole("table", { name: "Apps" }).getByRole("row").filter({ hasText: app.id });
  await expect(row).toContainText("deleted");
  await row.getByRole("link", { name: app.name }).click();
  await expect(adminPage.getByTestId("deleted-banner")).toContainText(stack.customer.email);
});
