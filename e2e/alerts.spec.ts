// The alert flow in the browser: usage reaching its limit shows in the notification centre
// (bell with unread count, mark read), and an admin's suspension raises a banner with the reason.
import { expect, test } from "./fixtures";

test("usage thresholds reach the notification centre, and a suspension raises a banner", async ({ page, api, adminApi, stack }) => {
  const app = await api.createApp({ name: `alerts ${Date.now()}` });
  await adminApi.ok("PUT", `/api/admin/apps/${app.id}/override`, { maxMessagesPerPeriod: 4, note: "e2e: tiny quota" });
  const key = await api.ok<{ key: { id: string }; secret: string }>("POST", `/api/apps/${app.id}/keys`, { kind: "secret", name: "backend" });
  const authorization = `Bearer ${key.key.id}:${key.secret}`;
  const publish = () =>
    page.request.post(`${stack.webUrl}/v1/channels/${encodeURIComponent("room/1")}/publish`, { headers: { authorization }, data: { data: "hello" } });
  // The first publish waits for the relay to learn of the new app.
  await expect.poll(async () => (await publish()).status(), { timeout: stack.changeDeadlineMs }).toBe(200);
  for (let i = 0; i < 3; i++) expect((await publish()).status()).toBe(200);

  await page.goto(`/apps/${app.id}`);
  const bell = page.getByRole("button", { name: /^Notifications/ });
  await expect(bell).toHaveAccessibleName(/unread/, { timeout: 30_000 });
  await expect
    .poll(
      async () => {
        await page.reload();
        await bell.click();
        const panel = page.getByRole("dialog", { name: "Notifications" });
        return (await panel.textContent()) ?? "";
      },
      { timeout: 30_000, intervals: [2_000] },
    )
    .toContain("100% of messages this period used");
  const panel = page.getByRole("dialog", { name: "Notifications" });
  // Usage jumping past several levels at once is one alert for the highest; at 100 % it says what happens next.
  await expect(panel).toContainText("of the limit an administrator set for this app");
  await expect(panel).toContainText("Further messages are refused");
  await expect(panel).toContainText("limits changed by an administrator");
  const before = Number(await page.getByTestId("unread-count").textContent());
  await panel.getByRole("button", { name: /Mark read: .*100% of messages/ }).click();
  await expect(page.getByTestId("unread-count")).toHaveText(String(before - 1));
  await panel.getByRole("button", { name: "Mark all read" }).click();
  await expect(page.getByTestId("unread-count")).toHaveCount(0);
  await page.keyboard.press("Escape");

  await adminApi.ok("POST", `/api/admin/apps/${app.id}/suspend`, { reason: "e2e: abuse report #7" });
  // The app's own pages carry the suspension banner; the notification's banner shows everywhere else.
  await page.goto("/apps");
  const banner = page.getByRole("alert").filter({ hasText: "was suspended" });
  await expect(banner).toContainText("e2e: abuse report #7");
  await banner.getByRole("button", { name: "Dismiss" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "was suspended" })).toHaveCount(0);
});
