// Webhook targets through the dashboard API: the attack (endpoints on the operator's loopback in
// every spelling) is refused with 422 on url, the message reaches the form's url field the way the
// dashboard reads it, a listener on 127.0.0.1 gets nothing, and WEBHOOK_ALLOWED_TARGETS opens what it names.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as listDeliveriesRoute } from "@/app/api/apps/[appId]/webhooks/[endpointId]/deliveries/route";
import { POST as sendTestEventRoute } from "@/app/api/apps/[appId]/webhooks/[endpointId]/test/route";
import { GET as listWebhooksRoute, POST as addWebhookRoute } from "@/app/api/apps/[appId]/webhooks/route";
import { POST as createAppRoute } from "@/app/api/apps/route";
import { apiFetch, fieldError } from "@/components/api";
import type { SessionUser } from "@/lib/auth/authenticate";
import { createUser } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

/** What this file's operator allows: one internal address, not loopback. */
const ALLOWED_INTERNAL_ADDRESS = "10.1.2.3";

let harness: RouteHarness;
let listener: http.Server;
let listenerHits = 0;
let port: number;
let appId: string;

beforeAll(async () => {
  // Read once, with the rest of the environment, by the first route that asks.
  process.env.WEBHOOK_ALLOWED_TARGETS = ALLOWED_INTERNAL_ADDRESS;
  harness = await startRouteHarness();
  listener = http.createServer((req, res) => {
    listenerHits += 1;
    res.end();
  });
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  port = (listener.address() as AddressInfo).port;
  session.user = await createUser(harness.db);
  const created = await invoke<{ app: { id: string } }>(createAppRoute, { method: "POST", body: { name: "Hooks" } });
  appId = created.body.app.id;
});
afterAll(async () => {
  await new Promise((resolve) => listener?.close(resolve));
  await harness?.stop();
  delete process.env.WEBHOOK_ALLOWED_TARGETS;
});

const addWebhook = (url: string) => invoke<{ error?: string; message?: string; field?: string }>(addWebhookRoute, { method: "POST", params: { appId }, body: { url } });

describe("POST /api/apps/:appId/webhooks", () => {
  it("refuses the operator's loopback in every spelling with 422 on url, naming the setting; the listener gets nothing", async () => {
    const urls = ["127.0.0.1", "localhost", "127.1", "2130706433", "0x7f000001", "0177.0.0.1", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::1]"].map(
      (host) => `http://${host}:${port}/hooks`,
    );
    for (const url of urls) {
      const res = await addWebhook(url);
      expect(res.status, url).toBe(422);
      expect(res.body, url).toMatchObject({ error: "invalid_request", field: "url" });
      expect(res.body.message, url).toMatch(/^\S+ is a loopback (address|name)\. Webhooks reach only the public internet; the operator can allow internal targets with WEBHOOK_ALLOWED_TARGETS\.$/);
    }
    const listed = await invoke<{ endpoints: unknown[] }>(listWebhooksRoute, { params: { appId } });
    expect(listed.body.endpoints).toEqual([]);
    expect(listenerHits).toBe(0);
  });

  it("the refusal reaches the dashboard form's url field", async () => {
    // The form's own client (apiFetch) against the real handler, as the browser's fetch would deliver it.
    vi.stubGlobal("fetch", (path: string, init: RequestInit) =>
      addWebhookRoute(new NextRequest(new URL(path, "http://localhost"), init as ConstructorParameters<typeof NextRequest>[1]), { params: Promise.resolve({ appId }) as Promise<never> }),
    );
    try {
      const error = await apiFetch(`/api/apps/${appId}/webhooks`, { method: "POST", body: { url: "http://169.254.169.254/latest/meta-data/" } }).catch((caught: unknown) => caught);
      expect(fieldError(error, "url")).toBe(
        "169.254.169.254 is a link-local address. Webhooks reach only the public internet; the operator can allow internal targets with WEBHOOK_ALLOWED_TARGETS.",
      );
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("accepts what WEBHOOK_ALLOWED_TARGETS lists, and public hosts", async () => {
    expect((await addWebhook(`http://${ALLOWED_INTERNAL_ADDRESS}:8080/hooks`)).status).toBe(201);
    expect((await addWebhook("https://hooks.example.com/tollgate")).status).toBe(201);
    expect((await addWebhook("http://10.1.2.4:8080/hooks")).status).toBe(422);
  });
});

describe("GET /api/apps/:appId/webhooks/:endpointId/deliveries", () => {
  it("never shows a stored internal error text", async () => {
    const endpoint = await harness.db.webhookEndpoint.findFirstOrThrow({ where: { appId, url: "https://hooks.example.com/tollgate" } });
    expect((await invoke(sendTestEventRoute, { method: "POST", params: { appId, endpointId: endpoint.id } })).status).toBe(202);
    // What an earlier version stored for a failed try: the raw error text.
    const delivery = await harness.db.notificationDelivery.findFirstOrThrow({ where: { endpointId: endpoint.id } });
    await harness.db.notificationDelivery.update({
      where: { id: delivery.id },
      data: {
        status: "failed",
        attempts: 1,
        lastError: "connect ECONNREFUSED 10.0.0.5:6379",
        attemptLog: { create: { attemptNumber: 1, error: "TypeError: fetch failed", durationMs: 3 } },
      },
    });
    const res = await invoke<{ deliveries: { lastError: string; attemptLog: { error: string }[] }[] }>(listDeliveriesRoute, { params: { appId, endpointId: endpoint.id } });
    expect(res.body.deliveries.map((delivery) => [delivery.lastError, delivery.attemptLog.map((attempt) => attempt.error)])).toEqual([["could not connect", ["could not connect"]]]);
  });
});
