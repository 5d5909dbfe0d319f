// A customer's own page, served from another origin, reads its app's live usage with a token its server
// minted (GET /v1/usage with a usage token, CORS): the hosted usage API's shape, live from the relay.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "./fixtures";
import { closeAll, type SdkClient, startClients } from "./sdk";

/** The customer's site: one page that calls the Tollgate API it is given in the query string. */
const CUSTOMER_PAGE = `<!doctype html><title>Customer dashboard</title><pre id="usage">loading</pre><pre id="refused">loading</pre>
<script>
  const params = new URLSearchParams(location.search);
  const api = params.get("api") + "/v1/usage";
  fetch(api, { headers: { Authorization: "Bearer " + params.get("token") } })
    .then((r) => r.text()).then((text) => (document.getElementById("usage").textContent = text))
    .catch((error) => (document.getElementById("usage").textContent = "failed: " + error.message));
  fetch(api, { headers: { Authorization: "Bearer not.a.token" } })
    .then((r) => r.text().then((text) => (document.getElementById("refused").textContent = r.status + " " + text)))
    .catch((error) => (document.getElementById("refused").textContent = "failed: " + error.message));
</script>`;

let site: Server;
let clients: SdkClient[] = [];
test.beforeAll(async () => {
  site = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(CUSTOMER_PAGE));
  await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
});
test.afterAll(async () => {
  await closeAll(clients);
  await new Promise((resolve) => site.close(resolve));
});

test("a page on the customer's own origin reads live usage with a usage token", async ({ page, api, stack }) => {
  const app = await api.createApp({ name: `browser usage ${Date.now()}` });
  const { key: secretKey, secret } = await api.ok<{ key: { id: string }; secret: string }>("POST", `/api/apps/${app.id}/keys`, {
    kind: "secret",
    name: "backend",
    actions: ["subscribe", "usage"],
  });
  const minted = await page.request.post(`${stack.webUrl}/v1/tokens`, {
    headers: { authorization: `Bearer ${secretKey.id}:${secret}` },
    data: { peerId: "dashboard", permissions: ["usage"] },
  });
  expect(minted.status()).toBe(200);
  const { token } = (await minted.json()) as { token: string };

  // Two live connections, one subscribed to a channel.
  const publishable = await api.createPublishableKey(app.id);
  clients = await startClients(stack.relayUrl, publishable.id, 2);
  await clients[0]?.client.subscribe("room/lobby");

  const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  expect(new URL(siteUrl).origin).not.toBe(new URL(stack.webUrl).origin);
  await expect(async () => {
    await page.goto(`${siteUrl}/?api=${encodeURIComponent(stack.webUrl)}&token=${token}`);
    await expect(page.locator("#usage")).not.toHaveText("loading");
    const usage = JSON.parse((await page.locator("#usage").textContent()) ?? "");
    expect(usage).toMatchObject({
      appId: app.id,
      tenantId: expect.any(String),
      usage: {
        connections: { current: 2, limit: expect.any(Number), status: "healthy" },
        channels: { current: 1, limit: null, percent: null, status: "healthy" },
        messages: { current: 0, status: "healthy" },
      },
      timestamp: expect.any(String),
    });
  }).toPass({ timeout: 15_000 });
  // A refusal is readable too: the page can tell its token is bad.
  await expect(page.locator("#refused")).toHaveText(/^401 .*"error":"unauthorized"/);
});
