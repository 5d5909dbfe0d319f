// Live usage a customer can trust: figures reach the page within seconds of the traffic, and while the relay
// stops answering (paused with SIGSTOP for longer than the 5 s lateness threshold) every number stays on
// screen, never lower, marked stale with a banner naming the late node; it turns fresh again once it answers.
import { expect, test } from "./fixtures";
import { withRelayPaused } from "./relay-process";
import { closeAll, type SdkClient, startClients } from "./sdk";

let clients: SdkClient[] = [];
test.afterEach(async () => {
  await closeAll(clients);
  clients = [];
});

test("a relay that stops answering never makes a number on the usage page go down; the page says the figures are late", async ({ page, api, stack }) => {
  test.setTimeout(120_000);
  const app = await api.createApp({ name: `freshness ${Date.now()}` });
  const key = await api.createPublishableKey(app.id);
  await page.goto(`/apps/${app.id}`);
  const connections = page.getByRole("meter", { name: "Concurrent connections" });
  const messages = page.getByRole("meter", { name: "Messages this period" });
  const delivered = page.getByTestId("delivered");
  await expect(connections).toHaveAttribute("aria-valuenow", "0");
  await expect(page.getByText(/refreshes every 2 s/)).toBeVisible();

  // Five connections; four subscribe, the fifth publishes 20 messages: 80 deliveries.
  let startedAt = Date.now();
  clients = await startClients(stack.relayUrl, key.id, 5);
  await expect(connections).toHaveAttribute("aria-valuenow", "5", { timeout: 10_000 });
  const connectionsLatencyMs = Date.now() - startedAt;
  const [publisher, ...subscribers] = clients.map((sdk) => sdk.client);
  if (!publisher) throw new Error("five clients expected");
  for (const subscriber of subscribers) await subscriber.subscribe("room/lobby");
  startedAt = Date.now();
  for (let index = 0; index < 20; index += 1) await publisher.publish("room/lobby", { index });
  await expect(messages).toHaveAttribute("aria-valuenow", "20", { timeout: 10_000 });
  const messagesLatencyMs = Date.now() - startedAt;
  await expect(delivered).toHaveText("80", { timeout: 10_000 });
  const deliveredLatencyMs = Date.now() - startedAt;
  console.log(`traffic → page: connections ${connectionsLatencyMs} ms, messages ${messagesLatencyMs} ms, delivered ${deliveredLatencyMs} ms`);
  const connectionsGauge = page.locator(".gauge").filter({ has: connections });
  await expect(connectionsGauge.getByTestId("updated-ago")).toHaveText(/^updated (just now|\d s ago)$/);

  // The relay stops answering for 12 s. Every figure stays, dated, and is marked stale once 5 s late.
  const seen: { connections: string | null; messages: string | null; delivered: string | null }[] = [];
  await withRelayPaused(stack.relayUrl, async () => {
    const until = Date.now() + 12_000;
    while (Date.now() < until) {
      seen.push({ connections: await connections.getAttribute("aria-valuenow"), messages: await messages.getAttribute("aria-valuenow"), delivered: await delivered.textContent() });
      await page.waitForTimeout(250);
    }
    await expect(connectionsGauge.getByTestId("updated-ago")).toHaveText(/^Stale: last reported \d+ s ago$/);
    const banner = page.getByTestId("stale-banner");
    await expect(banner).toContainText(/Live figures are late: relay node \w+ last reported at \d\d:\d\d:\d\d \(\d+ s ago\)/);
    await expect(page.getByText(/still up to date/)).toHaveCount(0);
  });
  expect(seen.length).toBeGreaterThan(20);
  for (const sample of seen) expect(sample).toEqual({ connections: "5", messages: "20", delivered: "80" });

  // Answering again: fresh within a few seconds, with the same numbers.
  await expect(page.getByTestId("stale-banner")).toHaveCount(0, { timeout: 15_000 });
  await expect(connectionsGauge.getByTestId("updated-ago")).toHaveText(/^updated (just now|\d s ago)$/);
  await expect(connections).toHaveAttribute("aria-valuenow", "5");
  await expect(messages).toHaveAttribute("aria-valuenow", "20");
});

test("offline, the usage page keeps its figures and does not claim to refresh", async ({ page, api, context }) => {
  const app = await api.createApp({ name: `offline ${Date.now()}` });
  await page.goto(`/apps/${app.id}`);
  await expect(page.getByRole("meter", { name: "Concurrent connections" })).toHaveAttribute("aria-valuenow", "0");
  await context.setOffline(true);
  try {
    await expect(page.getByText(/offline: not refreshing/)).toBeVisible({ timeout: 10_000 });
    await expect(page.getByText(/refreshes every/)).toHaveCount(0);
    await expect(page.getByRole("status").filter({ hasText: "You are offline" })).toBeVisible();
    await expect(page.getByRole("meter", { name: "Concurrent connections" })).toHaveAttribute("aria-valuenow", "0");
  } finally {
    await context.setOffline(false);
  }
  await expect(page.getByText(/refreshes every 2 s/)).toBeVisible({ timeout: 10_000 });
});
