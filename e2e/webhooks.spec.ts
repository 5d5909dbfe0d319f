// Webhook endpoints as a customer manages them: choosing the events an endpoint receives, resending a
// delivery from the log, and a confirmation before removing one. The receiver is a listener in this test
// on 127.0.0.1 (the e2e stack allows that address: WEBHOOK_ALLOWED_TARGETS).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "./fixtures";

test("an endpoint chooses its events, a delivery is resent from the log, and removing one asks first", async ({ page, api }) => {
  const received: string[] = [];
  const receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      received.push((JSON.parse(body) as { type: string }).type);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  try {
    const app = await api.createApp({ name: `webhooks ${Date.now()}` });
    await page.goto(`/apps/${app.id}/settings`);
    const add = page.getByRole("form", { name: "Add webhook endpoint" });
    await add.getByLabel("Endpoint URL").fill(url);
    await add.getByRole("checkbox", { name: /App suspended/ }).check();
    await add.getByRole("button", { name: "Add endpoint" }).click();
    await page.getByRole("button", { name: "Done" }).click();
    const endpoint = page.getByTestId("webhook-endpoint");
    await expect(endpoint).toContainText("Sends App suspended.");

    await endpoint.getByRole("button", { name: "Choose events" }).click();
    await endpoint.getByRole("checkbox", { name: /Balance low/ }).check();
    await endpoint.getByRole("button", { name: "Save events" }).click();
    await expect(endpoint).toContainText("Sends Balance low, App suspended.");

    await endpoint.getByRole("button", { name: "Send test event" }).click();
    const log = endpoint.getByRole("table", { name: `Deliveries to ${url}` });
    await expect(log.getByRole("row").filter({ hasText: "webhook.test" }).first()).toContainText("succeeded");
    await log.getByRole("button", { name: "Resend" }).first().click();
    await expect(log.getByRole("row").filter({ hasText: "succeeded" })).toHaveCount(2);
    expect(received).toEqual(["webhook.test", "webhook.test"]);

    await endpoint.getByRole("button", { name: "Remove" }).click();
    const dialog = page.getByRole("dialog", { name: "Remove this webhook endpoint?" });
    await expect(dialog).toContainText(url);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(endpoint).toBeVisible();
    await endpoint.getByRole("button", { name: "Remove" }).click();
    await dialog.getByRole("button", { name: "Remove endpoint" }).click();
    await expect(page.getByTestId("webhook-endpoint")).toHaveCount(0);
    await expect(page.getByText("No endpoints yet.")).toBeVisible();
  } finally {
    receiver.close();
  }
});
