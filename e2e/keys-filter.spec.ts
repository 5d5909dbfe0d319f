// The keys page as a list people search: status filter, search, revoked keys folded away, copy at any time.
import { expect, test } from "./fixtures";

test("keys filter by status and search; revoked keys are collapsed until asked for", async ({ page, api, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const app = await api.createApp({ name: `keys filter ${Date.now()}` });
  const web = await api.createPublishableKey(app.id, "web frontend");
  const old = await api.createPublishableKey(app.id, "old widget");
  const backend = await api.ok<{ key: { id: string } }>("POST", `/api/apps/${app.id}/keys`, { kind: "secret", name: "backend" });
  await api.ok("DELETE", `/api/apps/${app.id}/keys/${old.id}`);

  await page.goto(`/apps/${app.id}/keys`);
  await expect(page).toHaveTitle(`Keys · ${app.name} · Tollgate`);
  const keys = page.getByRole("table", { name: "Keys", exact: true });
  await expect(keys.locator("tr[data-key-id]")).toHaveCount(2);
  // The revoked key is listed apart, folded.
  await expect(page.getByText("Revoked and expired keys (1)")).toBeVisible();
  await expect(page.locator(`tr[data-key-id="${old.id}"]`)).toBeHidden();
  await page.getByText("Revoked and expired keys (1)").click();
  await expect(page.locator(`tr[data-key-id="${old.id}"]`)).toBeVisible();

  const status = page.getByRole("group", { name: "Key status" });
  await status.getByRole("button", { name: /^Revoked/ }).click();
  await expect(page.getByRole("table", { name: "Revoked keys" }).locator("tr[data-key-id]")).toHaveCount(1);
  await expect(page.getByRole("table", { name: "Keys", exact: true })).toHaveCount(0);

  await status.getByRole("button", { name: /^Active/ }).click();
  await expect(keys.locator("tr[data-key-id]")).toHaveCount(2);
  await page.getByRole("searchbox", { name: "Search keys" }).fill("BACK");
  await expect(keys.locator("tr[data-key-id]")).toHaveCount(1);
  await expect(keys.locator(`tr[data-key-id="${backend.key.id}"]`)).toBeVisible();
  await page.getByRole("searchbox", { name: "Search keys" }).fill(web.id.slice(0, 14));
  await expect(keys.locator(`tr[data-key-id="${web.id}"]`)).toBeVisible();
  await page.getByRole("searchbox", { name: "Search keys" }).fill("nothing like this");
  await expect(page.getByText("No active keys match “nothing like this”.")).toBeVisible();

  // A publishable key can be copied from the table at any time, not only when it is created.
  await page.getByRole("searchbox", { name: "Search keys" }).fill("");
  await page.getByRole("button", { name: "Copy web frontend publishable key" }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(web.id);
  // Ids and dates never wrap mid-string.
  const idCell = keys.locator(`tr[data-key-id="${web.id}"] code`).first();
  const box = await idCell.boundingBox();
  const lineHeight = await idCell.evaluate((element) => parseFloat(getComputedStyle(element).lineHeight) || 20);
  expect(box?.height ?? 0).toBeLessThan(lineHeight * 1.6);
});
