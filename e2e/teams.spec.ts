// Teams in the browser: an owner invites a teammate (the link shown and mailed), the teammate signs in, accepts, and sees the
// team's apps with a member's limits; the owner changes and removes them, which ends their session.
// Account: signing out everywhere ends a session in another browser.
import { randomUUID } from "node:crypto";
import type { Browser } from "@playwright/test";
import { firstLink, mailFromDrop } from "../tests/helpers/smtp-sink";
import { expect, test } from "./fixtures";

async function signUpUser(webUrl: string): Promise<{ email: string; password: string }> {
  const credentials = { email: `mate-${randomUUID().slice(0, 8)}@e2e.test`, password: "teammate-password-1" };
  const response = await fetch(`${webUrl}/api/auth/sign-up`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...credentials, name: "Teammate" }),
  });
  expect(response.status).toBe(201);
  return credentials;
}

async function freshContext(browser: Browser, webUrl: string) {
  return browser.newContext({ baseURL: webUrl, storageState: { cookies: [], origins: [] } });
}

test("invite a teammate who signs in, sees the team's apps with the member role's limits, and loses access when removed", async ({ page, api, browser, stack }) => {
  const app = await api.createApp({ name: `Team app ${randomUUID().slice(0, 6)}` });
  const mate = await signUpUser(stack.webUrl);

  await page.goto("/team");
  const invite = page.getByRole("form", { name: "Invite someone" });
  await invite.getByLabel("Email (optional)").fill(mate.email);
  await invite.getByRole("button", { name: "Send invitation" }).click();
  const link = (await page.getByTestId("invitation-link").locator("code").textContent())?.trim() ?? "";
  expect(link).toContain("/invite/inv_");
  await expect(page.getByRole("table", { name: "Pending invitations" })).toContainText(mate.email);
  // The teammate gets the same link by mail, over real SMTP.
  const mail = await mailFromDrop(stack.mailDir, mate.email, /You are invited to/);
  expect(firstLink(mail)).toBe(link);

  const context = await freshContext(browser, stack.webUrl);
  const matePage = await context.newPage();
  try {
    await matePage.goto(new URL(link).pathname);
    await expect(matePage.getByRole("heading", { level: 1 })).toContainText("Join");
    await matePage.getByRole("link", { name: "Sign in" }).click();
    await matePage.getByLabel("Email").fill(mate.email);
    await matePage.getByLabel("Password").fill(mate.password);
    await matePage.getByRole("button", { name: "Sign in" }).click();
    await matePage.getByRole("button", { name: "Accept invitation" }).click();
    await matePage.waitForURL("**/apps");

    // The team's apps, as a member: no "New app", a note on what members may do, a team switcher.
    await expect(matePage.getByRole("list", { name: "Your apps" })).toContainText(app.name);
    await expect(matePage.getByRole("button", { name: "New app" })).toHaveCount(0);
    await expect(matePage.getByTestId("member-apps-note")).toBeVisible();
    await expect(matePage.getByRole("combobox", { name: "Switch team" })).toBeVisible();
    await matePage.getByRole("link", { name: app.name }).click();
    await expect(matePage.getByTestId("role-notice")).toContainText("member");
    // Keys are theirs to use; deletion and billing are refused by the server too.
    const created = await matePage.request.post(`/api/apps/${app.id}/keys`, { data: { kind: "publishable", name: "mate key" } });
    expect(created.status()).toBe(201);
    const deletion = await matePage.request.delete(`/api/apps/${app.id}`);
    expect(deletion.status()).toBe(403);
    const topUp = await matePage.request.post(`/api/apps/${app.id}/billing/top-up`, { data: { amountMinor: 500, cardNumber: "4242424242424242" } });
    expect(topUp.status()).toBe(403);

    // The owner sees the teammate and removes them; the teammate's session ends on their next request.
    await page.goto("/team");
    const members = page.getByRole("table", { name: "Members" });
    await expect(members).toContainText(mate.email);
    await expect(members.getByRole("combobox", { name: `Role of ${mate.email}` })).toHaveValue("member");
    await page.getByRole("button", { name: `Remove ${mate.email}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Remove member" }).click();
    await expect(members).not.toContainText(mate.email);
    await matePage.goto(`/apps/${app.id}`);
    await matePage.waitForURL("**/sign-in**");
  } finally {
    await context.close();
  }
});

test("sign out everywhere ends the session in another browser; account settings save the name", async ({ browser, stack }) => {
  const user = await signUpUser(stack.webUrl);
  const contexts = await Promise.all([freshContext(browser, stack.webUrl), freshContext(browser, stack.webUrl)]);
  try {
    const first = await contexts[0].newPage();
    const second = await contexts[1].newPage();
    for (const page of [first, second]) {
      await page.goto("/sign-in");
      await page.getByLabel("Email").fill(user.email);
      await page.getByLabel("Password").fill(user.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL("**/apps");
    }
    await first.goto("/account");
    const profile = first.getByRole("form", { name: "Profile" });
    await profile.getByLabel("Name").fill("Renamed Teammate");
    await profile.getByRole("button", { name: "Save profile" }).click();
    await expect(first.getByText("Profile saved")).toBeVisible();
    await first.getByRole("button", { name: "Sign out everywhere" }).click();
    await first.waitForURL("**/sign-in**");
    await second.goto("/apps");
    await second.waitForURL("**/sign-in**");
    const stale = await second.request.get("/api/apps");
    expect(stale.status()).toBe(401);
  } finally {
    await Promise.all(contexts.map((context) => context.close()));
  }
});
