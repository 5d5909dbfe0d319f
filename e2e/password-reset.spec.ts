// A forgotten password, in the browser and over real SMTP: the user asks for a link on the sign-in page,
// the mail arrives, its link sets a new password, the new one signs in and the old one no longer does;
// the link works once.
import { randomUUID } from "node:crypto";
import { firstLink, mailFromDrop } from "../tests/helpers/smtp-sink";
import { expect, test } from "./fixtures";

test("forgot password: the emailed link sets a new password once; the old one stops working", async ({ browser, stack }) => {
  const user = { email: `forgetful-${randomUUID().slice(0, 8)}@e2e.test`, password: "old-password-1" };
  const signUp = await fetch(`${stack.webUrl}/api/auth/sign-up`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...user, name: "Forgetful" }),
  });
  expect(signUp.status).toBe(201);

  const context = await browser.newContext({ baseURL: stack.webUrl, storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  try {
    await page.goto("/sign-in");
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    const request = page.getByRole("form", { name: "Reset password" });
    await request.getByLabel("Email").fill(user.email);
    await request.getByRole("button", { name: "Email me a reset link" }).click();
    await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();

    const mail = await mailFromDrop(stack.mailDir, user.email, /Reset your Tollgate password/);
    const link = firstLink(mail);
    expect(new URL(link).origin).toBe(stack.webUrl);
    await page.goto(link);
    const choose = page.getByRole("form", { name: "Choose a new password" });
    await choose.getByLabel("New password").fill("new-password-2");
    await choose.getByRole("button", { name: "Set new password" }).click();
    await expect(page.getByRole("heading", { name: "Password changed" })).toBeVisible();

    const signIn = async (password: string) => {
      await page.goto("/sign-in");
      await page.getByLabel("Email").fill(user.email);
      await page.getByLabel("Password").fill(password);
      await page.getByRole("button", { name: "Sign in" }).click();
    };
    await signIn(user.password);
    await expect(page.getByText("Wrong email or password")).toBeVisible();
    await signIn("new-password-2");
    await page.waitForURL("**/apps");

    // The link was for one use.
    await page.goto(link);
    await page.getByRole("form", { name: "Choose a new password" }).getByLabel("New password").fill("third-password-3");
    await page.getByRole("button", { name: "Set new password" }).click();
    await expect(page.getByRole("link", { name: "Ask for a new link" })).toBeVisible();
  } finally {
    await context.close();
  }
});
