// Plan fees and invoices as a customer meets them: a paid plan is refused with the reason until there is
// money to pay it, then charged (prorated) from the balance; the team's upcoming invoice lists the fee.
import { formatMoney } from "../components/format";
import { expect, test } from "./fixtures";

test("switching to Starter is refused without funds, then charged from the balance and invoiced", async ({ ownTeam: { page, api } }) => {
  const app = await api.createApp({ name: `fees ${Date.now()}` });
  await page.goto(`/apps/${app.id}/billing`);
  // Free says what a balance is for, and has no auto-recharge.
  await expect(page.getByText("A balance pays a paid plan's fee")).toBeVisible();
  await expect(page.getByRole("heading", { name: "Auto-recharge" })).toHaveCount(0);

  await page.getByLabel("Change plan").selectOption({ label: "Starter" });
  await page.getByRole("button", { name: "Change plan" }).click();
  const dialog = page.getByRole("dialog", { name: "Switch to Starter?" });
  await expect(dialog.getByTestId("plan-change-cost")).toContainText("no card on file");
  await dialog.getByRole("button", { name: "Change plan" }).click();
  await expect(page.locator(".field-error").filter({ hasText: "Cannot switch to Starter" })).toContainText("Nothing was charged");
  await expect(page.getByTestId("current-plan")).toHaveText("Free");

  const topUp = page.getByRole("form", { name: "Top up" });
  await topUp.getByLabel("Top-up amount (USD)").fill("40");
  await topUp.getByLabel("Card number").fill("4242 4242 4242 4242");
  await page.getByRole("button", { name: "Top up" }).click();
  await expect(page.getByTestId("balance")).toHaveText("$40.00");

  await page.getByRole("button", { name: "Change plan" }).click();
  await expect(dialog.getByTestId("plan-change-cost")).toContainText(/About \$2[89]\.\d\d is charged now: Starter for the 30 of 30 days|About \$2[89]\.\d\d is charged now/);
  await expect(dialog.getByTestId("plan-change-cost")).toContainText("from the balance ($40.00)");
  await dialog.getByRole("button", { name: "Change plan" }).click();
  await expect(page.getByTestId("current-plan")).toHaveText("Starter");
  await expect(page.getByRole("status").filter({ hasText: /Plan changed to Starter · charged \$2[89]\.\d\d from the balance/ })).toBeVisible();
  await expect(page.getByTestId("balance")).not.toHaveText("$40.00");
  const balance = (await page.getByTestId("balance").textContent()) ?? "";
  const chargedMinor = 4000 - Math.round(Number(balance.replace(/[$,]/g, "")) * 100);
  expect(chargedMinor).toBeGreaterThanOrEqual(2890);
  expect(chargedMinor).toBeLessThanOrEqual(2900);
  await expect(page.getByRole("table", { name: "Ledger" })).toContainText("Plan fee");
  await expect(page.getByRole("heading", { name: "Auto-recharge" })).toBeVisible();

  // The team's upcoming invoice lists the fee under this app (the team's other apps have lines of their own).
  await page.getByRole("link", { name: "View invoices" }).click();
  const invoices = page.getByRole("table", { name: "Invoices" });
  await expect(invoices).toContainText("Upcoming");
  await invoices.getByRole("link", { name: "Upcoming invoice" }).click();
  const feeLine = page.getByRole("table", { name: "Invoice lines" }).getByRole("rowgroup", { name: app.name }).getByRole("row").filter({ hasText: "Starter plan" });
  await expect(feeLine).toContainText(/Starter plan for \d+ of \d+ days/);
  await expect(feeLine).toContainText(`$${(chargedMinor / 100).toFixed(2)}`);

  // Printable view and CSV carry the same line.
  const printableUrl = `${new URL(page.url()).origin}${await page.getByRole("link", { name: "Printable view" }).getAttribute("href")}`;
  const printable = await page.request.get(printableUrl);
  expect(await printable.text()).toContain(`$${(chargedMinor / 100).toFixed(2)}`);
  // Its Print button works under the page's own script nonce (a refused script would leave it dead).
  const invoicePage = await page.context().newPage();
  await invoicePage.goto(printableUrl);
  expect(await invoicePage.evaluate(() => {
    let printed = false;
    window.print = () => void (printed = true);
    document.getElementById("print")?.click();
    return printed;
  })).toBe(true);
  await invoicePage.close();
  const csv = await page.request.get(`${new URL(page.url()).origin}${await page.getByRole("link", { name: "Export CSV" }).getAttribute("href")}`);
  expect(csv.headers()["content-type"]).toContain("text/csv");
  expect(await csv.text()).toContain(`${app.id},${app.name},plan_fee,`);
});

test("a downgrade waits for the period end and says so", async ({ page, api }) => {
  const app = await api.createApp({ name: `downgrade ${Date.now()}` });
  await api.ok("POST", `/api/apps/${app.id}/billing/top-up`, { amountMinor: 5_000, cardNumber: "4242424242424242" });
  await api.ok("PATCH", `/api/apps/${app.id}`, { planSlug: "starter" });
  await page.goto(`/apps/${app.id}/billing`);
  await page.getByLabel("Change plan").selectOption({ label: "Free" });
  await page.getByRole("button", { name: "Change plan" }).click();
  const dialog = page.getByRole("dialog", { name: "Switch to Free?" });
  await expect(dialog.getByTestId("plan-change-cost")).toContainText("Starter stays until");
  await dialog.getByRole("button", { name: "Change plan" }).click();
  await expect(page.getByTestId("plan-fee-banner")).toContainText("Moving to Free on");
  await expect(page.getByTestId("current-plan")).toHaveText("Starter");
});

test("deleting an app loses no money: the balance is the team's, and its other apps keep it", async ({ page, api }) => {
  const app = await api.createApp({ name: `deleted ${Date.now()}` });
  const other = await api.createApp({ name: `kept ${Date.now()}` });
  const { balanceMinor } = await api.ok<{ balanceMinor: number }>("POST", `/api/apps/${app.id}/billing/top-up`, { amountMinor: 5_000, cardNumber: "4242424242424242" });
  await page.goto(`/apps/${app.id}/settings`);
  await expect(page.getByText("The team's balance, card and invoices stay with the team")).toBeVisible();
  await page.getByRole("button", { name: "Delete app" }).click();
  const dialog = page.getByRole("dialog", { name: `Delete ${app.name}?` });
  await dialog.getByLabel("App name").fill(app.name);
  await dialog.getByRole("button", { name: "Delete app" }).click();
  await page.waitForURL("**/apps");
  await page.goto(`/apps/${other.id}/billing`);
  await expect(page.getByTestId("balance")).toHaveText(formatMoney(balanceMinor));
});

test("pay as you go speaks of usage charges and free allowances, never of overages, on the overview and billing pages", async ({ ownTeam: { page, api } }) => {
  const app = await api.createApp({ name: `payg ${Date.now()}`, planSlug: "payg" });
  await page.goto(`/apps/${app.id}`);
  const live = page.getByRole("region", { name: "Live usage" });
  await expect(live.getByText("Usage charges so far")).toBeVisible();
  await expect(live.getByTestId("usage-charges")).toHaveText("$0.00");
  // The team's allowances this month, used against free, as on the billing page (a team of its own: nothing used yet).
  await expect(live.getByRole("meter", { name: "Connection-minutes" })).toHaveAttribute("aria-valuemax", "100000");
  await expect(live.getByRole("meter", { name: "Delivered messages" })).toHaveAttribute("aria-valuemax", "1000000");
  const egress = live.getByRole("meter", { name: "Egress" });
  await expect(egress).toHaveAttribute("aria-valuemax", "1000000000");
  // Written in the unit it is priced in: 1 GB free, $0.10 per GB (not "953.7 MiB").
  await expect(egress).toHaveAttribute("aria-valuetext", "0 B of 1 GB, healthy");
  await expect(live).toContainText("Pay as you go plan");
  await expect(live).not.toContainText(/overage/i);

  await page.goto(`/apps/${app.id}/billing`);
  await expect(page.getByRole("heading", { name: "Team free allowance this month" })).toBeVisible();
  await expect(page.getByText("then $0.10 per GB, payloads counted in blocks of 4,096 bytes")).toBeVisible();
  await expect(page.getByText("Usage charges so far")).toBeVisible();
  await expect(page.getByRole("switch", { name: "Allow overages" })).toHaveCount(0);
  await expect(page.getByText("Overage cost so far")).toHaveCount(0);
  await expect(page.getByRole("region", { name: "Auto-recharge" })).not.toContainText(/overage/i);
});

test("a paid plan's overview keeps its overage figures", async ({ page, api }) => {
  const app = await api.createApp({ name: `tiered ${Date.now()}` });
  await api.ok("POST", `/api/apps/${app.id}/billing/top-up`, { amountMinor: 5_000, cardNumber: "4242424242424242" });
  await api.ok("PATCH", `/api/apps/${app.id}`, { planSlug: "starter" });
  await page.goto(`/apps/${app.id}`);
  const live = page.getByRole("region", { name: "Live usage" });
  await expect(live.getByText("Overage cost so far")).toBeVisible();
  await expect(live.getByText("Overage messages")).toBeVisible();
  await expect(live).toContainText("Starter plan · overages off");
  await expect(live.getByRole("meter", { name: "Connection-minutes" })).toHaveCount(0);
});
