// The usage charts for people who do not see them: each is named and described (range, headline, when
// it peaked), none is a Tab stop of its own, and a table view lists every point.
import { expect, test } from "./fixtures";
import { closeAll, type SdkClient, startClients } from "./sdk";

let clients: SdkClient[] = [];
test.afterEach(async () => {
  await closeAll(clients);
  clients = [];
});

test("the four charts are named and described, take no Tab stop, and show as tables on request", async ({ page, api, stack }) => {
  test.setTimeout(60_000);
  const app = await api.createApp({ name: `charts ${Date.now()}` });
  const key = await api.createPublishableKey(app.id);
  clients = await startClients(stack.relayUrl, key.id, 3);
  const [alice, bob, carol] = clients.map((sdk) => sdk.client);
  if (!alice || !bob || !carol) throw new Error("three clients expected");
  await alice.subscribe("room/lobby");
  await bob.subscribe("room/lobby");
  for (let index = 0; index < 5; index += 1) await carol.publish("room/lobby", { index });

  await page.goto(`/apps/${app.id}`);
  const deliveries = page.getByRole("figure", { name: /^Deliveries, last hour: total 10$/ });
  await expect(deliveries).toBeVisible({ timeout: 20_000 });
  await expect(page.getByRole("figure")).toHaveCount(4);
  await expect(deliveries).toHaveAccessibleDescription(/^Last hour, one point per minute\. Deliveries: total 10, most 10 at \d\d:\d\d–\d\d:\d\d UTC\. The table view lists every point\.$/);
  for (const figure of await page.getByRole("figure").all()) await expect(figure).toHaveAccessibleDescription(/The table view lists every point\.$/);
  // Nothing inside a chart takes focus: Tab from the range buttons goes past the four charts.
  await expect(page.locator('figure [tabindex]:not([tabindex="-1"]), figure [role="application"]')).toHaveCount(0);
  await page.getByRole("button", { name: "Charts" }).focus();
  await page.keyboard.press("Tab");
  await expect(page.getByRole("button", { name: "Tables" })).toBeFocused();
  await page.keyboard.press("Tab");
  expect(await page.evaluate(() => document.activeElement?.closest("figure") ?? null)).toBeNull();

  await page.getByRole("button", { name: "Tables" }).click();
  await expect(page.getByRole("button", { name: "Tables" })).toHaveAttribute("aria-pressed", "true");
  const table = page.getByRole("table", { name: "Deliveries" });
  await expect(table.getByRole("columnheader")).toHaveText(["Time", "Deliveries"]);
  await expect(table.getByRole("cell", { name: "10", exact: true })).toHaveCount(1);
  await expect(page.getByRole("table", { name: "Messages per minute" }).getByRole("columnheader")).toHaveText(["Time", "Accepted", "Refused (over quota)"]);
  await page.getByRole("button", { name: "Charts" }).click();
  await expect(page.getByRole("table", { name: "Deliveries" })).toHaveCount(0);
});
