// Team invoices as a customer and an admin meet them: a team's two apps draw on one wallet and share one
// invoice; an admin's credit, with its reason, lands in the customer's ledger and on the team's next
// invoice, whose PDF downloads; an admin viewing as the customer
// is told so on every page and cannot change anything.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Page } from "@playwright/test";
import type { App } from "../components/api-types";
import { formatMoney } from "../components/format";
import { type Api, expect, test } from "./fixtures";
import { closeAll, type SdkClient, tryConnect } from "./sdk";

let clients: SdkClient[] = [];
test.afterEach(async () => {
  await closeAll(clients);
  clients = [];
});

test("a team with two apps tops up once, both apps' overage draws on it, one invoice lists both, an admin credit joins it, the PDF downloads", async ({
  ownTeam: { page, api },
  adminPage,
  adminApi,
  stack,
}) => {
  // One top-up, from the first app's page, before the second app exists.
  const chat = await api.createApp({ name: `chat ${Date.now()}` });
  await api.ok("POST", `/api/apps/${chat.id}/billing/top-up`, { amountMinor: 10_000, cardNumber: "4242424242424242" });
  // A paid app is created directly on Starter, its fee paid from the team's balance; the first app upgrades.
  const feed = await api.createApp({ name: `feed ${Date.now()}`, planSlug: "starter" });
  await api.ok("PATCH", `/api/apps/${chat.id}`, { planSlug: "starter" });
  const afterFees = (await api.ok<{ balanceMinor: number }>("GET", `/api/apps/${feed.id}/billing`)).balanceMinor;
  expect(afterFees).toBeLessThanOrEqual(10_000 - 2 * 2890);

  // Both apps go over a cap of one connection with overages on: each extra connection is billed to the team.
  for (const app of [chat, feed]) {
    await api.ok("PATCH", `/api/apps/${app.id}`, { overagesEnabled: true });
    await adminApi.ok("PUT", `/api/admin/apps/${app.id}/override`, { maxConcurrentConnections: 1, note: "e2e: one connection" });
    const key = await api.createPublishableKey(app.id);
    expect(await tryConnect(stack.relayUrl, key.id, clients)).toBe("connected");
    await expect.poll(() => tryConnect(stack.relayUrl, key.id, clients), { timeout: stack.changeDeadlineMs, intervals: [250] }).toBe("connected");
  }
  type Ledger = { ledger: { kind: string; appId: string | null }[]; balanceMinor: number };
  const chargedApps = async () => {
    const billing = await api.ok<Ledger>("GET", `/api/apps/${chat.id}/billing`);
    return [...new Set(billing.ledger.filter((entry) => entry.kind === "overage_debit").map((entry) => entry.appId))].sort();
  };
  await expect.poll(chargedApps, { timeout: 20_000, intervals: [500] }).toEqual([chat.id, feed.id].sort());
  // Each app's billing page shows the same team balance, below what the fees left.
  const balance = (await api.ok<Ledger>("GET", `/api/apps/${chat.id}/billing`)).balanceMinor;
  expect(balance).toBeLessThan(afterFees);
  await page.goto(`/apps/${feed.id}/billing`);
  await expect(page.getByRole("region", { name: /Team wallet/ }).getByTestId("balance")).toHaveText(formatMoney(balance));
  // The team page shows the same wallet whole: its balance and what each app drew from it this month.
  await page.goto("/team");
  const wallet = page.getByRole("region", { name: "Team wallet", exact: true });
  await expect(wallet.getByTestId("team-balance")).toHaveText(formatMoney(balance));
  for (const app of [chat, feed]) await expect(wallet.getByRole("row").filter({ hasText: app.name })).toContainText("Starter");
  await page.goto(`/apps/${feed.id}/billing`);

  // An admin credits the team from the chat app's page, with a reason the customer reads.
  const reason = `Outage credit ${randomUUID().slice(0, 8)}`;
  await adminPage.goto(`/admin/apps/${chat.id}`);
  const form = adminPage.getByRole("form", { name: "Correct the balance" });
  await form.getByLabel("Kind").selectOption("credit");
  await form.getByLabel("Amount (USD)").fill("12.34");
  await form.getByLabel("Reason (the customer sees it)").fill(reason);
  await form.getByRole("button", { name: "Record credit" }).click();
  await expect(adminPage.getByRole("table", { name: "Corrections" })).toContainText(reason);
  await page.reload();
  const ledger = page.getByRole("table", { name: "Ledger" });
  await expect(ledger).toContainText(`Credit: ${reason}`);
  // The team's ledger says which app each day's usage charges were for.
  for (const app of [chat, feed]) await expect(ledger.getByRole("row").filter({ hasText: "Usage charges" }).filter({ hasText: app.name })).not.toHaveCount(0);

  // The team's next invoice: both apps with their fees and overage, the credit under the chat app.
  await page.getByRole("link", { name: "View invoices" }).click();
  await expect(page.getByRole("heading", { name: "Invoices" })).toBeVisible();
  await page.getByRole("table", { name: "Invoices" }).getByRole("link", { name: "Upcoming invoice" }).click();
  const lines = page.getByRole("table", { name: "Invoice lines" });
  for (const app of [chat, feed]) {
    await expect(lines.getByRole("rowgroup", { name: app.name })).toContainText("Starter plan");
    await expect(lines.getByRole("rowgroup", { name: app.name })).toContainText("Overage connections");
  }
  await expect(lines.getByRole("rowgroup", { name: chat.name }).getByRole("row").filter({ hasText: reason })).toContainText("-$12.34");

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
