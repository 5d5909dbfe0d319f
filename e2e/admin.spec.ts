// The admin's tools in the browser: search, the plan catalog editor with validation, suspend/resume, a
// team's app limit.
import { randomUUID } from "node:crypto";
import { CloseCode } from "@tollgate/relay/protocol";
import { DEFAULT_MAX_APPS_PER_TENANT } from "../lib/apps/app-limit";
import { expect, test } from "./fixtures";
import { startClient, waitForClose } from "./sdk";

test("search finds a customer's app by name and by the owner's email", async ({ adminPage, api, stack }) => {
  const app = await api.createApp({ name: `Searchable ${randomUUID().slice(0, 6)}` });
  await adminPage.goto("/admin");
  const search = adminPage.getByRole("searchbox", { name: "Search tenants and apps" });
  await search.fill(app.name);
  await expect(adminPage.getByRole("table", { name: "Apps" }).getByRole("row")).toHaveCount(2);
  await expect(adminPage.getByRole("table", { name: "Apps" })).toContainText(app.id);
  await search.fill(stack.customer.email);
  await expect(adminPage.getByRole("table", { name: "Tenants" })).toContainText(stack.customer.email);
  await search.fill("no-such-thing-anywhere");
  await expect(adminPage.getByText("No apps match “no-such-thing-anywhere”")).toBeVisible();
});

test("plan catalog: a new plan is created, an invalid limit is refused inline, a valid edit says when relays get it", async ({ adminPage }) => {
  const slug = `e2e-${randomUUID().slice(0, 6)}`;
  await adminPage.goto("/admin/plans");
  await adminPage.getByRole("button", { name: "New plan" }).click();
  const form = adminPage.getByRole("form", { name: "New plan" });
  await form.getByLabel("Slug").fill(slug);
  await form.getByLabel("Name", { exact: true }).fill(`E2E ${slug}`);
  await form.getByLabel("Offered to customers").uncheck();
  await form.getByRole("button", { name: "Create plan" }).click();
  await expect(adminPage.getByRole("table", { name: "Plans" })).toContainText(slug);

  await adminPage.getByRole("button", { name: `Edit plan E2E ${slug}` }).click();
  const edit = adminPage.getByRole("form", { name: `Edit plan E2E ${slug}` });
  const connections = edit.getByLabel("Max concurrent connections");
  await connections.fill("-5");
  await edit.getByRole("button", { name: "Save plan" }).click();
  await expect(connections).toHaveAttribute("aria-invalid", "true");
  await expect(edit.getByText("Max concurrent connections: a whole number ≥ 0, or empty for no cap")).toBeVisible();

  await connections.fill("250");
  await edit.getByRole("button", { name: "Save plan" }).click();
  await expect(adminPage.getByTestId("propagation-note")).toContainText("Relays are notified at once");
  await expect(adminPage.getByRole("table", { name: "Plans" }).getByRole("row", { name: new RegExp(slug) })).toContainText("250");

  await adminPage.goto("/admin/audit");
  await expect(adminPage.getByRole("table", { name: "Audit entries" })).toContainText("max concurrent connections");
});

test("suspending an app closes its live client with 4012 and shows the team the reason; resuming lets clients back in", async ({ adminPage, page, api, stack }) => {
  const app = await api.createApp({ name: `suspend ${Date.now()}` });
  const key = await api.createPublishableKey(app.id);
  const sdk = startClient(stack.relayUrl, key.id);
  try {
    expect(await sdk.connected).toBe(true);
    await adminPage.goto(`/admin/apps/${app.id}`);
    await adminPage.getByRole("button", { name: "Suspend app" }).click();
    const dialog = adminPage.getByRole("dialog", { name: `Suspend ${app.name}?` });
    await dialog.getByLabel("Reason (shown to the app's team and kept in the audit log)").fill("e2e: abuse report");
    await dialog.getByRole("button", { name: "Suspend app" }).click();
    const heading = adminPage.getByRole("heading", { level: 2, name: new RegExp(`^${app.name}`) });
    await expect(heading).toContainText("suspended");
    expect(await waitForClose(sdk, stack.changeDeadlineMs)).toBe(CloseCode.AppSuspended);
    await expect(adminPage.getByTestId("propagation-note")).toContainText("closes the app's live connections with code 4012");
    await page.goto(`/apps/${app.id}`);
    await expect(page.getByTestId("suspension-banner")).toContainText("e2e: abuse report");
    await expect(page.getByTestId("suspension-banner")).toContainText("To get it resumed");

    await adminPage.getByRole("button", { name: "Resume app" }).click();
    await adminPage.getByRole("dialog", { name: `Resume ${app.name}?` }).getByRole("button", { name: "Resume app" }).click();
    await expect(heading).toContainText("active");
    await expect
      .poll(
        async () => {
          const again = startClient(stack.relayUrl, key.id);
          const connected = await again.connected;
          await again.close();
          return connected;
        },
        { timeout: stack.changeDeadlineMs, intervals: [500] },
      )
      .toBe(true);
  } finally {
    await sdk.close();
  }
});

test("app limit: an admin gives a team its own limit on the tenant page, the audit log shows it, an empty field returns to the default", async ({ adminPage, adminApi }) => {
  // A team of its own: the specs' shared customer keeps its limit.
  const email = `limited-${randomUUID().slice(0, 8)}@e2e.test`;
  const { tenant } = await adminApi.ok<{ tenant: { id: string } }>("POST", "/api/auth/sign-up", { email, password: "correct-horse-battery", tenantName: "Limited team" });
  await adminPage.goto(`/admin/tenants/${tenant.id}`);
  const card = adminPage.getByRole("region", { name: "App limit" });
  await expect(card).toContainText(`0 of ${DEFAULT_MAX_APPS_PER_TENANT} live apps (the default limit)`);
  const field = card.getByLabel("Maximum live apps");
  await field.fill("-3");
  await card.getByRole("button", { name: "Save app limit" }).click();
  await expect(card.getByRole("alert")).toContainText("whole number of at least 0");
  await field.fill("3");
  await card.getByRole("button", { name: "Save app limit" }).click();
  await expect(card).toContainText(`0 of 3 live apps (this team's own limit; the default is ${DEFAULT_MAX_APPS_PER_TENANT})`);
  const audit = adminPage.getByRole("table", { name: "Audit entries" });
  await expect(audit).toContainText("tenant.set_app_limit");
  await field.fill("");
  await card.getByRole("button", { name: "Save app limit" }).click();
  await expect(card).toContainText(`0 of ${DEFAULT_MAX_APPS_PER_TENANT} live apps (the default limit)`);
});
