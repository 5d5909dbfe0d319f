// App settings by keyboard alone: create, rename (with the API's inline error), delete behind a typed confirmation.
import { randomUUID } from "node:crypto";
import { expect, test } from "./fixtures";

test("keyboard only: create an app, rename it, delete it after confirming", async ({ page }) => {
  const name = `Keyboard ${randomUUID().slice(0, 6)}`;
  await page.goto("/apps");
  await page.getByRole("button", { name: "New app" }).focus();
  await page.keyboard.press("Enter");
  // The name field takes focus when the form opens, and Enter submits it.
  await expect(page.getByLabel("App name")).toBeFocused();
  await page.keyboard.type(name);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();

  await page.getByRole("navigation", { name: "App sections" }).getByRole("link", { name: "Settings" }).click();
  const nameInput = page.getByRole("form", { name: "Rename app" }).getByLabel("Name");
  await nameInput.fill("   ");
  await page.keyboard.press("Enter");
  await expect(nameInput).toHaveAttribute("aria-invalid", "true");
  await nameInput.fill(`${name} renamed`);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("status").filter({ hasText: `Renamed to ${name} renamed` })).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: `${name} renamed` })).toBeVisible();

  // Escape cancels the confirmation; the app is still there.
  await page.getByRole("button", { name: "Delete app" }).focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: `Delete ${name} renamed?` });
  await expect(dialog).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();

  await page.getByRole("button", { name: "Delete app" }).click();
  const confirm = dialog.getByRole("button", { name: "Delete app" });
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel("App name").fill(`${name} renamed`);
  await confirm.click();
  await expect(page).toHaveURL(/\/apps$/);
  await expect(page.getByRole("status").filter({ hasText: `Deleted ${name} renamed` })).toBeVisible();
  await expect(page.getByRole("link", { name: `${name} renamed` })).toHaveCount(0);
});
