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

test("plan catalog: a new plan starts hidden with no overages and needs its prices; an edit lists its changes and the apps on the plan before saving", async ({ adminPage }) => {
  const slug = `e2e-${randomUUID().slice(0, 6)}`;
  await adminPage.goto("/admin/plans");
  await adminPage.getByRole("button", { name: "New plan" }).click();
  const form = adminPage.getByRole("form", { name: "New plan" });
  await expect(form.getByLabel("Offered to customers")).not.toBeChecked();
  await expect(form.getByLabel("Overages allowed")).not.toBeChecked();
  await expect(form.getByLabel("Monthly price ($)")).toHaveValue("");
  await form.getByLabel("Slug").fill(slug);
  await form.getByLabel("Name", { exact: true }).fill(`E2E ${slug}`);
  await form.getByRole("button", { name: "Create plan" }).click();
  await expect(form.getByText("Monthly price ($): enter a price (0.00 if it is free)")).toBeVisible();
  for (const label of ["Monthly price ($)", "Overage per 1,000 messages ($)", "Overage per connection over cap ($)", "Per 1,000 connection-minutes ($)", "Per 1,000 delivered messages ($)", "Per GB egress ($)"]) {
    await form.getByLabel(label).fill("0.00");
  }
  await form.getByLabel("Monthly price ($)").fill("9.00");
  await form.getByRole("button", { name: "Create plan" }).click();
  const row = adminPage.getByRole("table", { name: "Plans" }).getByRole("row", { name: new RegExp(slug) });
  await expect(row).toContainText("hidden");

  await adminPage.getByRole("button", { name: `Edit plan E2E ${slug}` }).click();
  const edit = adminPage.getByRole("form", { name: `Edit plan E2E ${slug}` });
  await edit.getByRole("button", { name: "Save plan" }).click();
  await expect(edit.getByText("Nothing to save: no field differs from the saved plan.")).toBeVisible();
  const connections = edit.getByLabel("Max concurrent connections");
  await connections.fill("-5");
  await edit.getByRole("button", { name: "Save plan" }).click();
  await expect(connections).toHaveAttribute("aria-invalid", "true");
  await expect(edit.getByText("Max concurrent connections: a whole number ≥ 0, or empty for no cap")).toBeVisible();

  await connections.fill("250");
  await edit.getByLabel("Monthly price ($)").fill("12.50");
  await edit.getByRole("button", { name: "Save plan" }).click();
  const confirm = adminPage.getByRole("dialog", { name: `Save changes to E2E ${slug}?` });
  const changes = confirm.getByRole("table", { name: "Changes" });
  await expect(changes.getByRole("row", { name: /Max concurrent connections/ })).toContainText("100");
  await expect(changes.getByRole("row", { name: /Max concurrent connections/ })).toContainText("250");
  await expect(changes.getByRole("row", { name: /Monthly price/ })).toContainText("$9.00");
  await expect(changes.getByRole("row", { name: /Monthly price/ })).toContainText("$12.50");
  await expect(changes.getByRole("row")).toHaveCount(3);
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(row).not.toContainText("250");
  await edit.getByRole("button", { name: "Save plan" }).click();
  await expect(confirm.getByTestId("plan-apps-affected")).toContainText(`0 apps are on E2E ${slug}.`);
  await confirm.getByRole("button", { name: "Save plan" }).click();
  await expect(adminPage.getByTestId("propagation-note")).toContainText("Relays are notified at once");
  await expect(row).toContainText("250");

  await adminPage.goto("/admin/audit");
  const audit = adminPage.getByRole("table", { name: "Audit entries" });
  await expect(audit).toContainText("max concurrent connections");
  await expect(audit).toContainText(`plan E2E ${slug}`);
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

test("override form: a field's error clears once the field is emptied, and saving it empty leaves the app without an override", async ({ adminPage, api }) => {
  const app = await api.createApp({ name: `override ${Date.now()}` });
  await adminPage.goto(`/admin/apps/${app.id}`);
  const form = adminPage.getByRole("form", { name: "Override limits" });
  const messages = form.getByLabel("Max messages per period");
  await messages.fill("-1");
  await form.getByRole("button", { name: "Save override" }).click();
  await expect(messages).toHaveAttribute("aria-invalid", "true");
  await messages.fill("");
  await expect(messages).not.toHaveAttribute("aria-invalid", "true");
  await expect(form.getByRole("alert")).toHaveCount(0);
  await form.getByRole("button", { name: "Save override" }).click();
  await expect(adminPage.getByRole("status").filter({ hasText: "Override saved" })).toBeVisible();
  await expect(form.getByRole("button", { name: "Remove override" })).toHaveCount(0);
  await adminPage.goto("/admin");
  await adminPage.getByRole("searchbox", { name: "Search tenants and apps" }).fill(app.name);
  const listed = adminPage.getByRole("table", { name: "Apps" }).getByRole("row", { name: new RegExp(app.name) });
  await expect(listed).toBeVisible();
  await expect(listed.getByText("override", { exact: true })).toHaveCount(0);
});
