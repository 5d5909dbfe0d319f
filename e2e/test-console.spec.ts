// The app page's test console: two browser connections with the app's publishable key, frames shown live.
import { expect, test } from "./fixtures";

test("the test console subscribes, publishes and shows the frames live", async ({ page, api }) => {
  const app = await api.createApp({ name: `console ${Date.now()}` });
  await page.goto(`/apps/${app.id}`);
  const console = page.getByRole("region", { name: "Test console" });
  await expect(console.getByRole("link", { name: "Create a publishable key" })).toBeVisible();

  const key = await api.createPublishableKey(app.id, "console key");
  await page.reload();
  await expect(console).toContainText(key.id);
  await console.getByLabel("Channel").fill("console/e2e");
  await console.getByRole("button", { name: "Connect" }).click();
  await expect(console.getByTestId("console-status")).toHaveText("connected");
  const frames = console.getByRole("list", { name: "Frames" });
  await expect(frames.locator('li[data-role="subscriber"][data-direction="received"]').filter({ hasText: '"type":"ack"' })).toHaveCount(1);

  await console.getByLabel("Message (JSON or text)").fill('{"greeting":"hi from e2e"}');
  await console.getByRole("button", { name: "Publish" }).click();
  await expect(frames.locator('li[data-role="publisher"][data-direction="received"]').filter({ hasText: '"type":"ack"' })).toHaveCount(1);
  const delivered = frames.locator('li[data-role="subscriber"][data-direction="received"]').filter({ hasText: '"type":"message"' });
  await expect(delivered).toContainText('"greeting":"hi from e2e"');
  await expect(delivered).toContainText('"channel":"console/e2e"');

  // The console's traffic is real usage: the message gauge and the connection gauge move.
  await expect(page.getByRole("meter", { name: "Concurrent connections" })).toHaveAttribute("aria-valuenow", "2", { timeout: 15_000 });
  await expect(page.getByRole("meter", { name: "Messages this period" })).toHaveAttribute("aria-valuenow", "1", { timeout: 15_000 });

  await console.getByRole("button", { name: "Disconnect" }).click();
  await expect(frames).toContainText("Closed by client (1000)");
  await expect(page.getByRole("meter", { name: "Concurrent connections" })).toHaveAttribute("aria-valuenow", "0", { timeout: 15_000 });
});
