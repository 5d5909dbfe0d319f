// The key form's channel patterns: an error about one pattern shows under the patterns naming its line, a
// space inside a pattern (which the relay takes as part of the name) is pointed out, and the hint says
// that `/` separates segments.
import { expect, test } from "./fixtures";

test("a too-long pattern's error names its line under the patterns; a space is warned about; the hint explains segments", async ({ page, api }) => {
  const app = await api.createApp({ name: `patterns ${Date.now()}` });
  await page.goto(`/apps/${app.id}/keys`);
  await page.getByRole("button", { name: "Create key" }).click();
  const form = page.getByRole("form", { name: "Create key" });
  await form.getByLabel("Name").fill("long patterns");
  const patterns = form.getByLabel("Channel patterns");
  await expect(patterns).toHaveAccessibleDescription(/\/ separates segments/);

  await patterns.fill(`chat/*\n${"x".repeat(600)}`);
  await form.getByRole("button", { name: "Create key" }).click();
  await expect(patterns).toHaveAccessibleDescription(/Line 2, “x{24}…” \(600 characters\): At most 256 bytes/);
  await expect(form.getByRole("group", { name: "Allowed actions" })).not.toContainText("256 bytes");
  await expect(form.locator(".form-error")).toHaveCount(0);

  await patterns.fill("chat/*\nfoo bar");
  await expect(form.getByTestId("pattern-warning")).toContainText("Line 2, “foo bar”, contains a space");
  await expect(patterns).toHaveAccessibleDescription(/contains a space/);
});
