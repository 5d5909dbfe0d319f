// A teammate joins through an invitation (sign-up with the invited address filled in, back to the
// invitation afterwards) and finds the owner-only controls of an app disabled with a note saying who can
// use them, instead of enabled and refused with 403 after submitting. The owner's stay enabled.
import { randomUUID } from "node:crypto";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";

async function expectOwnerOnly(page: Page, control: ReturnType<Page["getByRole"]>, note: string) {
  await expect(control).toBeDisabled();
  await expect(page.getByTestId("owner-only-note").filter({ hasText: note })).toBeVisible();
}

test("an invited member signs up with the address prefilled and sees top-up, plan, auto-recharge, spend limits and delete disabled with a note", async ({ page, api, browser, stack }) => {
  const app = await api.createApp({ name: `members ${randomUUID().slice(0, 6)}`, planSlug: "payg" });
  const email = `member-${randomUUID().slice(0, 8)}@e2e.test`;
  const { link } = await api.ok<{ link: string }>("POST", `/api/tenants/${app.tenantId}/invitations`, { email, role: "member" });

  const context = await browser.newContext({ baseURL: stack.webUrl, storageState: { cookies: [], origins: [] } });
  const matePage = await context.newPage();
  try {
    await matePage.goto(new URL(link).pathname);
    await matePage.getByRole("link", { name: "create an account" }).click();
    await expect(matePage.getByLabel("Email")).toHaveValue(email);
    await matePage.getByLabel("Password").fill("member-password-1");
    await matePage.getByRole("button", { name: "Create account" }).click();
    // Back at the invitation, signed in.
    await matePage.getByRole("button", { name: "Accept invitation" }).click();
    await matePage.waitForURL("**/apps");

    await matePage.goto(`/apps/${app.id}/billing`);
    await expectOwnerOnly(matePage, matePage.getByRole("button", { name: "Top up" }), "Only team owners can top up the balance.");
    await expectOwnerOnly(matePage, matePage.getByLabel("Change plan"), "Only team owners can change the plan or overages.");
    await expectOwnerOnly(matePage, matePage.getByRole("button", { name: "Save auto-recharge" }), "Only team owners can change auto-recharge.");
    await expectOwnerOnly(matePage, matePage.getByRole("button", { name: "Save spend limits" }), "Only team owners can change spend limits.");
    await expect(matePage.getByLabel("Top-up amount (USD)")).toBeDisabled();
    await matePage.goto(`/apps/${app.id}/settings`);
    await expectOwnerOnly(matePage, matePage.getByRole("button", { name: "Delete app" }), "Only team owners can delete this app.");
    // What members may do stays enabled.
    await expect(matePage.getByRole("button", { name: "Rename" })).toBeVisible();
    await expect(matePage.getByRole("form", { name: "Rename app" }).getByLabel("Name")).toBeEnabled();
  } finally {
    await context.close();
  }

  await page.goto(`/apps/${app.id}/billing`);
  await expect(page.getByRole("button", { name: "Top up" })).toBeEnabled();
  await expect(page.getByRole("button", { name: "Save spend limits" })).toBeEnabled();
  await expect(page.getByTestId("owner-only-note")).toHaveCount(0);
});

test("signing in after opening a page signed out lands on that page", async ({ browser, stack, api }) => {
  const app = await api.createApp({ name: `return ${randomUUID().slice(0, 6)}` });
  const context = await browser.newContext({ baseURL: stack.webUrl, storageState: { cookies: [], origins: [] } });
  const signedOut = await context.newPage();
  try {
    await signedOut.goto(`/apps/${app.id}/billing`);
    await signedOut.waitForURL("**/sign-in?callbackUrl=**");
    await signedOut.getByLabel("Email").fill(stack.customer.email);
    await signedOut.getByLabel("Password").fill(stack.customer.password);
    await signedOut.getByRole("button", { name: "Sign in" }).click();
    await signedOut.waitForURL(`**/apps/${app.id}/billing`);
    await expect(signedOut.getByRole("heading", { name: "Balance" })).toBeVisible();
  } finally {
    await context.close();
  }
});
