// Where customers look for what their app did: the usage export (a CSV per day), the live connection
// inspector (a connection shows with its origin; an owner's disconnect closes it with 4020), the log of
// recent /v1 requests, and the docs in the main navigation.
import { readFile } from "node:fs/promises";
import { CloseCode, Disconnect } from "@tollgate/relay/protocol";
import WebSocket from "ws";
import { expect, test } from "./fixtures";

const today = () => new Date().toISOString().slice(0, 10);

async function secretKey(api: import("./fixtures").Api, appId: string): Promise<string> {
  const key = await api.ok<{ key: { id: string }; secret: string }>("POST", `/api/apps/${appId}/keys`, { kind: "secret", name: "backend" });
  return `Bearer ${key.key.id}:${key.secret}`;
}

test("the usage export downloads a CSV whose row for today counts the messages just published", async ({ page, api, stack }) => {
  test.setTimeout(90_000);
  const app = await api.createApp({ name: `export ${Date.now()}` });
  const authorization = await secretKey(api, app.id);
  const publish = () => page.request.post(`${stack.webUrl}/v1/channels/room/publish`, { headers: { authorization }, data: { data: "hello" } });
  // The first publish waits for the relay to learn of the new app.
  await expect.poll(async () => (await publish()).status(), { timeout: stack.changeDeadlineMs }).toBe(200);
  for (let i = 0; i < 2; i++) expect((await publish()).status()).toBe(200);
  // The relay's next usage flush (every 10 s) writes the minute's samples.
  await expect
    .poll(async () => (await page.request.get(`/api/apps/${app.id}/usage/export?from=${today()}&to=${today()}`)).text(), { timeout: 30_000, intervals: [1_000] })
    .toContain(`${today()},${app.id},`);

  await page.goto(`/apps/${app.id}`);
  // The gauges come from the client's first fetch: the page is hydrated, so typed dates reach its state.
  await expect(page.getByRole("meter", { name: "Messages this period" })).toBeVisible();
  const exporter = page.getByRole("region", { name: "Export usage" });
  await exporter.getByLabel("From").fill(today());
  await expect(exporter.getByLabel("From")).toHaveValue(today());
  await exporter.getByLabel("To").fill("2020-01-01");
  await expect(exporter.getByText("The start date must not be after the end date.")).toBeVisible();
  await expect(exporter.getByRole("button", { name: "Download CSV" })).toBeDisabled();
  await exporter.getByLabel("To").fill(today());
  const downloading = page.waitForEvent("download");
  await exporter.getByRole("link", { name: "Download CSV" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe(`usage-${app.id}-${today()}-to-${today()}.csv`);
  const rows = (await readFile(await download.path(), "utf8")).trim().split("\r\n");
  expect(rows[0]).toBe("date,app_id,app_name,messages,delivered_messages,egress_bytes,connection_minutes,peak_concurrent,soft_drops,usage_charges_minor,usage_charges");
  expect(rows).toHaveLength(2);
  expect(rows[1]?.split(",").slice(0, 4)).toEqual([today(), app.id, app.name, "3"]);
});

test("the connection inspector lists a live connection with its origin, and an owner's disconnect closes it with 4020", async ({ page, api, stack }) => {
  test.setTimeout(60_000);
  const app = await api.createApp({ name: `inspector ${Date.now()}` });
  const key = await api.createPublishableKey(app.id);
  const origin = "https://chat.example";
  let socket: WebSocket | null = null;
  let peerId = "";
  // The first connect waits for the relay to learn of the new key.
  await expect
    .poll(
      async () => {
        socket = new WebSocket(`${stack.relayUrl}/v1?key=${key.id}`, { origin });
        const opened = socket;
        return new Promise<boolean>((resolve) => {
          opened.once("message", (data) => {
            const frame = JSON.parse(String(data)) as { type: string; peerId?: string };
            peerId = frame.peerId ?? "";
            resolve(frame.type === "welcome");
          });
          opened.once("close", () => resolve(false));
          opened.once("error", () => resolve(false));
        });
      },
      { timeout: stack.changeDeadlineMs },
    )
    .toBe(true);
  const client = socket as unknown as WebSocket;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => client.once("close", (code, reason) => resolve({ code, reason: String(reason) })));

  await page.goto(`/apps/${app.id}/activity`);
  const open = page.getByRole("table", { name: "Open connections" });
  const row = open.locator(`tr[data-peer-id="${peerId}"]`);
  await expect(row).toBeVisible({ timeout: 10_000 });
  await expect(row).toContainText(origin);
  await expect(row).toContainText(key.id);
  await expect(row).toContainText("127.0.0.1");

  await row.getByRole("button", { name: `Disconnect ${peerId}` }).click();
  const dialog = page.getByRole("dialog", { name: `Disconnect ${peerId}?` });
  await dialog.getByRole("button", { name: "Disconnect" }).click();
  expect(await closed).toEqual({ code: CloseCode.AdminDisconnect, reason: Disconnect.OwnerDisconnect.reason });
  await expect(page.getByRole("status").filter({ hasText: `Disconnected ${peerId}` })).toBeVisible();
  await expect(row).toHaveCount(0, { timeout: 10_000 });
  const closes = page.getByRole("table", { name: "Recently closed" });
  await expect(closes.locator(`tr[data-close-code="${CloseCode.AdminDisconnect}"]`)).toContainText(peerId, { timeout: 10_000 });
  await expect(closes).toContainText("disconnected_by_owner");
});

test("a /v1 request just made shows in the app's request log with its status", async ({ page, api, stack }) => {
  const app = await api.createApp({ name: `requests ${Date.now()}` });
  const authorization = await secretKey(api, app.id);
  expect((await page.request.get(`${stack.webUrl}/v1/usage`, { headers: { authorization } })).status()).toBe(200);
  expect((await page.request.post(`${stack.webUrl}/v1/tokens`, { headers: { authorization }, data: { peerId: "" } })).status()).toBe(400);
  await page.goto(`/apps/${app.id}/activity`);
  const log = page.getByRole("table", { name: "Recent API requests" });
  await expect(log.getByTestId("request-row")).toHaveCount(2, { timeout: 15_000 });
  await expect(log.getByTestId("request-row").nth(0)).toContainText("POST /v1/tokens");
  await expect(log.getByTestId("request-row").nth(0)).toContainText("400");
  await expect(log.getByTestId("request-row").nth(1)).toContainText("GET /v1/usage");
  await expect(log.getByTestId("request-row").nth(1)).toContainText("200");
});

test("the main navigation links to the docs", async ({ page }) => {
  await page.goto("/apps");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Docs" }).click();
  await expect(page).toHaveURL(/\/docs$/);
  await expect(page.getByRole("heading", { name: "Tollgate docs" })).toBeVisible();
});
