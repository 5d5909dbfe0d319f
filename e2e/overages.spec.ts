// A paid plan's overages, driven from the Plan & billing page: refused over the cap with overages off,
// admitted and billed with them on.
import { expect, test } from "./fixtures";
import { closeAll, expectRefusedOverLimit, type SdkClient, tryConnect } from "./sdk";

let clients: SdkClient[] = [];
test.afterEach(async () => {
  await closeAll(clients);
  clients = [];
});

test("Free cannot turn overages on, and says why", async ({ page, api }) => {
  const app = await api.createApp({ name: `free ${Date.now()}`, planSlug: "free" });
  await page.goto(`/apps/${app.id}/billing`);
  const toggle = page.getByRole("switch", { name: "Allow overages" });
  await expect(toggle).toBeDisabled();
  await expect(page.locator("#overages-explanation")).toContainText("The Free plan has no overages");
});

test("a paid plan: over the cap is refused with overages off, admitted and billed with them on", async ({ ownTeam: { page, api }, adminApi, stack }) => {
  const app = await api.createApp({ name: `paid ${Date.now()}`, planSlug: "free" });
  const key = await api.createPublishableKey(app.id);
  await adminApi.ok("PUT", `/api/admin/apps/${app.id}/override`, { maxConcurrentConnections: 2, note: "e2e: small cap" });

  // A declined card is reported next to the card number; a good one tops the balance up.
  await page.goto(`/apps/${app.id}/billing`);
  const topUp = page.getByRole("form", { name: "Top up" });
  await topUp.getByLabel("Top-up amount (USD)").fill("50");
  await topUp.getByLabel("Card number").fill("4000 0000 0000 0002");
  await page.getByRole("button", { name: "Top up" }).click();
  await expect(topUp.getByLabel("Card number")).toHaveAttribute("aria-invalid", "true");
  await expect(topUp.getByRole("alert")).toContainText(/declin/i);
  await topUp.getByLabel("Card number").fill("4242 4242 4242 4242");
  await page.getByRole("button", { name: "Top up" }).click();
  await expect(page.getByTestId("balance")).toHaveText("$50.00");
  await expect(page.getByRole("table", { name: "Ledger" })).toContainText("Top-up");

  // Change to Starter in the browser, with a confirmation; the fee comes from the balance.
  await page.getByLabel("Change plan").selectOption({ label: "Starter" });
  await page.getByRole("button", { name: "Change plan" }).click();
  await page.getByRole("dialog", { name: "Switch to Starter?" }).getByRole("button", { name: "Change plan" }).click();
  await expect(page.getByTestId("current-plan")).toHaveText("Starter");
  await expect(page.getByTestId("balance")).not.toHaveText("$50.00");

  const toggle = page.getByRole("switch", { name: "Allow overages" });
  await expect(toggle).toBeEnabled();
  await expect(toggle).not.toBeChecked();

  // Overages off: two fit, the third is refused once the relay has the cap of 2.
  expect(await tryConnect(stack.relayUrl, key.id, clients)).toBe("connected");
  expect(await tryConnect(stack.relayUrl, key.id, clients)).toBe("connected");
  await expectRefusedOverLimit(stack.relayUrl, key.id, clients, stack.changeDeadlineMs);

  // Overages on: the relay admits a connection over the cap, and it is billed.
  await toggle.check();
  await expect(page.getByRole("status").filter({ hasText: "Overages enabled" })).toBeVisible();
  await expect.poll(() => tryConnect(stack.relayUrl, key.id, clients), { timeout: stack.changeDeadlineMs, intervals: [250] }).toBe("connected");

  await page.getByRole("link", { name: "Overview" }).click();
  await expect(page.getByRole("meter", { name: "Concurrent connections" })).toHaveAttribute("aria-valuenow", "3", { timeout: 10_000 });
  await expect(page.getByTestId("overage-cost")).not.toHaveText("$0.00", { timeout: 15_000 });
  await expect(page.locator(".stat-strip")).toContainText(/Overage connections[1-9]/);

  // Overages off again: a further connection is refused (live ones stay).
  await page.getByRole("navigation", { name: "App sections" }).getByRole("link", { name: "Plan & billing" }).click();
  await page.getByRole("switch", { name: "Allow overages" }).uncheck();
  await expect(page.getByRole("status").filter({ hasText: "Overages disabled" })).toBeVisible();
  await expectRefusedOverLimit(stack.relayUrl, key.id, clients, stack.changeDeadlineMs);
  expect(clients.filter((sdk) => sdk.closeCodes.length === 0)).toHaveLength(3);
});
