// Plan limits enforced live by the relay and shown in the dashboard: a Free app whose connection limit the
// admin lowers to 2, then raises again; and one given channel limits by the admin.
import { CloseCode, ErrorCode } from "@tollgate/relay/protocol";
import { expect, test } from "./fixtures";
import { closeAll, expectRefusedOverLimit, type SdkClient, startClient, tryConnect } from "./sdk";

let clients: SdkClient[] = [];
test.afterEach(async () => {
  await closeAll(clients);
  clients = [];
});

test("Free with an admin override of 2: the third client is closed 4010 and the gauge turns critical; raising the limit admits it", async ({
  page,
  api,
  adminPage,
  stack,
}) => {
  const app = await api.createApp({ name: `limits ${Date.now()}`, planSlug: "free" });
  const key = await api.createPublishableKey(app.id);

  // The admin lowers the limit in the admin UI, which says when relays will have it.
  await adminPage.goto(`/admin/apps/${app.id}`);
  await expect(adminPage.getByRole("heading", { name: app.name })).toBeVisible();
  await adminPage.getByLabel("Max concurrent connections").fill("2");
  await adminPage.getByLabel("Note (why)").fill("e2e: lowered for the limit scenario");
  await adminPage.getByRole("button", { name: "Save override" }).click();
  await expect(adminPage.getByTestId("propagation-note")).toContainText("Relays are notified at once");
  await expect(adminPage.getByTestId("propagation-note")).toContainText("at the latest (within 1 min");
  await expect(adminPage.getByTestId("effective-limits")).toContainText("Concurrent connections2");

  expect(await tryConnect(stack.relayUrl, key.id, clients)).toBe("connected");
  expect(await tryConnect(stack.relayUrl, key.id, clients)).toBe("connected");
  // Until the relay has the change notice the old limit may still apply: a third client admitted meanwhile is closed again.
  await expectRefusedOverLimit(stack.relayUrl, key.id, clients, stack.changeDeadlineMs);

  // The customer sees the cap reached: 2 of 2, critical.
  await page.goto(`/apps/${app.id}`);
  const gauge = page.getByRole("meter", { name: "Concurrent connections" });
  await expect(gauge).toHaveAttribute("aria-valuenow", "2", { timeout: 10_000 });
  const card = page.locator(".gauge").filter({ has: gauge });
  await expect(card).toHaveAttribute("data-status", "critical");
  await expect(card).toContainText("Critical");
  await expect(card).toContainText("2 / 2");
  // The refusal shows up in the outcome breakdown once the relay flushes its usage.
  await expect(page.getByRole("table", { name: "Connection closes" })).toContainText(`Over the concurrent-connection limit (${CloseCode.OverConcurrentLimit})`, { timeout: 15_000 });

  // The admin raises the limit; after the relay's refresh the third client connects.
  await adminPage.getByLabel("Max concurrent connections").fill("5");
  await adminPage.getByRole("button", { name: "Save override" }).click();
  await expect(adminPage.getByTestId("effective-limits")).toContainText("Concurrent connections5");
  await expect.poll(() => tryConnect(stack.relayUrl, key.id, clients), { timeout: stack.changeDeadlineMs, intervals: [250] }).toBe("connected");
  await expect(gauge).toHaveAttribute("aria-valuenow", "3", { timeout: 10_000 });
  await expect(card).toContainText("3 / 5");

  // The audit log records both changes with before and after.
  await adminPage.goto("/admin/audit");
  await expect(adminPage.getByRole("table", { name: "Audit entries" }).getByRole("row").filter({ hasText: app.id }).first()).toContainText("max concurrent connections");
});

test("channel limits from the admin's override form: a channel too many is refused channel_quota_exceeded and the dashboard's gauge shows the active channels", async ({
  page,
  api,
  adminPage,
  stack,
}) => {
  const app = await api.createApp({ name: `channels ${Date.now()}`, planSlug: "free" });
  const key = await api.createPublishableKey(app.id);

  await adminPage.goto(`/admin/apps/${app.id}`);
  await expect(adminPage.getByRole("heading", { name: app.name })).toBeVisible();
  await adminPage.getByLabel("Max active channels").fill("2");
  await adminPage.getByLabel("Max peers per channel").fill("10");
  await adminPage.getByRole("button", { name: "Save override" }).click();
  await expect(adminPage.getByTestId("effective-limits")).toContainText("Active channels2");
  await expect(adminPage.getByTestId("effective-limits")).toContainText("Peers per channel10");

  const sdk = startClient(stack.relayUrl, key.id);
  clients.push(sdk);
  expect(await sdk.connected).toBe(true);
  await sdk.client.subscribe("room/a");
  await sdk.client.subscribe("room/b");
  // Until the relay has the change notice the app has no channel limit: a third channel opened meanwhile is left again.
  await expect
    .poll(
      async () => {
        try {
          await sdk.client.subscribe("room/c");
          await sdk.client.unsubscribe("room/c");
          return "admitted";
        } catch (error) {
          return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        }
      },
      { timeout: stack.changeDeadlineMs, intervals: [250] },
    )
    .toBe(`${ErrorCode.ChannelQuotaExceeded}: Active channel limit exceeded: limit 2 (active: 2)`);

  await page.goto(`/apps/${app.id}`);
  const gauge = page.getByRole("meter", { name: "Active channels" });
  await expect(gauge).toHaveAttribute("aria-valuenow", "2", { timeout: 10_000 });
  const card = page.locator(".gauge").filter({ has: gauge });
  await expect(card).toContainText("2 / 2");
  await expect(card).toHaveAttribute("data-status", "critical");
  await expect(card).toContainText("at most 10 peers per channel");
});
