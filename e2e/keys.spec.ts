// Keys in the dashboard: the 50-key cap, and revocation reaching live connections.
import { CloseCode, Limits } from "@tollgate/relay/protocol";
import { expect, test } from "./fixtures";
import { startClient, waitForClose } from "./sdk";

test("the 50-key cap: N / 50 is visible and the 51st key is blocked with an explanation", async ({ page, api }) => {
  const app = await api.createApp({ name: `cap ${Date.now()}` });
  for (let index = 1; index < Limits.maxKeysPerApp; index += 1) await api.createPublishableKey(app.id, `bulk ${index}`);

  await page.goto(`/apps/${app.id}/keys`);
  await expect(page.getByTestId("key-count")).toHaveText(`49 / ${Limits.maxKeysPerApp}`);
  await page.getByRole("button", { name: "Create key" }).click();
  await page.getByLabel("Name").fill("the fiftieth");
  await page.getByRole("form", { name: "Create key" }).getByRole("button", { name: "Create key" }).click();
  await expect(page.getByRole("region", { name: "New key" })).toContainText("the fiftieth");
  await expect(page.getByTestId("key-count")).toHaveText(`50 / ${Limits.maxKeysPerApp}`);

  const createButton = page.getByRole("button", { name: "Create key" });
  await expect(createButton).toBeDisabled();
  await expect(page.getByText(`This app has ${Limits.maxKeysPerApp} active keys, the most an app can have`)).toBeVisible();
  // The API refuses the 51st too, whatever the UI does.
  const refused = await api.call<{ error: string }>("POST", `/api/apps/${app.id}/keys`, { kind: "publishable", name: "one too many" });
  expect(refused.status).toBe(409);
  expect(refused.body.error).toBe("limit_exceeded");

  // Revoking one frees a slot (after a confirmation).
  await page.getByRole("button", { name: "Revoke key bulk 1", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Revoke “bulk 1”?" });
  await expect(dialog).toContainText("4001");
  await dialog.getByRole("button", { name: "Revoke key" }).click();
  await expect(page.getByTestId("key-count")).toHaveText(`49 / ${Limits.maxKeysPerApp}`);
  await expect(createButton).toBeEnabled();
});

test("revoking a key closes its live client with 4001", async ({ page, api, stack }) => {
  const app = await api.createApp({ name: `revoke ${Date.now()}` });
  const key = await api.createPublishableKey(app.id, "doomed");
  const sdk = startClient(stack.relayUrl, key.id);
  try {
    expect(await sdk.connected).toBe(true);

    await page.goto(`/apps/${app.id}/keys`);
    await page.getByRole("button", { name: "Revoke key doomed" }).click();
    // Cancelling keeps the key.
    await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
    await expect(page.getByRole("dialog")).toBeHidden();
    await expect(page.locator(`tr[data-key-id="${key.id}"]`)).toContainText("active");

    await page.getByRole("button", { name: "Revoke key doomed" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke key" }).click();
    await expect(page.locator(`tr[data-key-id="${key.id}"]`)).toContainText("revoked");
    await expect(page.getByRole("status").filter({ hasText: "revoked" })).toBeVisible();

    expect(await waitForClose(sdk, stack.changeDeadlineMs)).toBe(CloseCode.InvalidToken);
  } finally {
    await sdk.close();
  }
});

test("rolling a secret key reveals the new secret once and keeps the old key for the grace period", async ({ page, api }) => {
  const app = await api.createApp({ name: `roll ${Date.now()}` });
  const created = await api.ok<{ key: { id: string }; secret: string }>("POST", `/api/apps/${app.id}/keys`, { kind: "secret", name: "backend" });
  await page.goto(`/apps/${app.id}/keys`);
  await page.getByRole("button", { name: "Roll key backend" }).click();
  const dialog = page.getByRole("dialog", { name: "Roll “backend”?" });
  await dialog.getByLabel("Grace period").selectOption({ label: "1 hour" });
  await dialog.getByRole("button", { name: "Roll key" }).click();

  const reveal = page.getByRole("region", { name: "New key" });
  await expect(reveal).toContainText("Rolled “backend”");
  await expect(page.getByTestId("revealed-secret")).toHaveText(/^sk_secret_/);
  await expect(page.getByTestId("revealed-secret")).not.toHaveText(created.secret);
  await expect(page.locator(`tr[data-key-id="${created.key.id}"]`)).toContainText("expiring");
  // The count does not charge the rolled-out key against the cap.
  await expect(page.getByTestId("key-count")).toHaveText(`1 / ${Limits.maxKeysPerApp}`);
  await reveal.getByRole("button", { name: "I have stored the secret" }).click();
  await expect(page.getByTestId("revealed-secret")).toHaveCount(0);
});
