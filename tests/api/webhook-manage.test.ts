// Choosing an endpoint's event types and resending a delivery, through the real handlers: an endpoint
// receives only the types it chose (every type when none), a settled delivery can be sent again as a new
// delivery, and neither reaches another tenant's endpoint.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as resendRoute } from "@/app/api/apps/[appId]/webhooks/[endpointId]/deliveries/[deliveryId]/resend/route";
import { PATCH as updateEndpointRoute } from "@/app/api/apps/[appId]/webhooks/[endpointId]/route";
import { POST as createEndpointRoute } from "@/app/api/apps/[appId]/webhooks/route";
import type { SessionUser } from "@/lib/auth/authenticate";
import { emitAppEvent } from "@/lib/notifications/emit-app-event";
import { DeliveryJob } from "@/lib/notifications/queue-delivery";
import { createTestApp, createUser, type TestUser } from "@/tests/helpers/fixtures";
import { queuedJobs } from "@/tests/helpers/queued-jobs";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

let harness: RouteHarness;
beforeAll(async () => {
  harness = await startRouteHarness();
});
afterAll(async () => harness?.stop());

interface EndpointAnswer {
  endpoint: { id: string; eventTypes: string[] };
}

async function ownerWithApp(): Promise<{ owner: TestUser; appId: string }> {
  const owner = await createUser(harness.db);
  session.user = owner;
  const app = await createTestApp(harness.db, { tenantId: owner.tenantId });
  return { owner, appId: app.id };
}

function addEndpoint(appId: string, body: Record<string, unknown>) {
  return invoke<EndpointAnswer & { error?: string; field?: string }>(createEndpointRoute, { method: "POST", params: { appId }, body: { url: "https://hooks.example.com/tollgate", ...body } });
}

const balanceLow = { type: "balance.low" as const, balanceMinor: 10, thresholdMinor: 100, periodStartUnix: 1 };
const suspended = (changeId: string) => ({ type: "app.suspended" as const, reason: null, changeId });

async function webhookDeliveriesTo(endpointId: string) {
  return harness.db.notificationDelivery.findMany({ where: { endpointId }, include: { event: { select: { type: true } } }, orderBy: { createdAt: "asc" } });
}

describe("webhook event types", () => {
  it("an endpoint receives only the types it chose, every type when it chose none, and can change its choice", async () => {
    const { appId } = await ownerWithApp();
    const all = await addEndpoint(appId, {});
    const onlySuspensions = await addEndpoint(appId, { eventTypes: ["app.suspended", "app.suspended"] });
    expect(all.status).toBe(201);
    expect(all.body.endpoint.eventTypes).toEqual([]);
    expect(onlySuspensions.body.endpoint.eventTypes).toEqual(["app.suspended"]);

    await emitAppEvent(harness.db, { appId, event: balanceLow });
    await emitAppEvent(harness.db, { appId, event: suspended("s1") });
    expect((await webhookDeliveriesTo(all.body.endpoint.id)).map((d) => d.event.type)).toEqual(["balance.low", "app.suspended"]);
    expect((await webhookDeliveriesTo(onlySuspensions.body.endpoint.id)).map((d) => d.event.type)).toEqual(["app.suspended"]);

    const changed = await invoke<EndpointAnswer>(updateEndpointRoute, { method: "PATCH", params: { appId, endpointId: onlySuspensions.body.endpoint.id }, body: { eventTypes: [] } });
    expect(changed.status).toBe(200);
    expect(changed.body.endpoint.eventTypes).toEqual([]);
    await emitAppEvent(harness.db, { appId, event: { ...balanceLow, periodStartUnix: 2 } });
    expect((await webhookDeliveriesTo(onlySuspensions.body.endpoint.id)).map((d) => d.event.type)).toEqual(["app.suspended", "balance.low"]);
  });

  it("refuses an unknown type or the test type with 422 naming the field", async () => {
    const { appId } = await ownerWithApp();
    for (const eventTypes of [["nope"], ["webhook.test"], "app.suspended"]) {
      const res = await addEndpoint(appId, { eventTypes });
      expect(res.status).toBe(422);
      expect(res.body.field).toMatch(/^eventTypes/);
    }
  });
});

describe("resending a delivery", () => {
  it("queues a new delivery of the same event to the same endpoint; the old one and its log stay", async () => {
    const { owner, appId } = await ownerWithApp();
    const endpoint = (await addEndpoint(appId, {})).body.endpoint;
    await emitAppEvent(harness.db, { appId, event: balanceLow });
    const [original] = await webhookDeliveriesTo(endpoint.id);
    if (!original) throw new Error("no delivery");
    await harness.db.notificationDelivery.update({ where: { id: original.id }, data: { status: "failed", attempts: 8, lastError: "HTTP 500" } });

    const res = await invoke<{ deliveryId: string }>(resendRoute, { method: "POST", params: { appId, endpointId: endpoint.id, deliveryId: original.id } });

    expect(res.status).toBe(202);
    const deliveries = await webhookDeliveriesTo(endpoint.id);
    expect(deliveries.map((d) => [d.id === original.id, d.status, d.event.type])).toEqual([
      [true, "failed", "balance.low"],
      [false, "pending", "balance.low"],
    ]);
    expect(deliveries[1]?.id).toBe(res.body.deliveryId);
    const jobs = (await queuedJobs(harness.db, DeliveryJob.deliver)).filter((job) => job.payload.deliveryId === res.body.deliveryId);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.key).toContain(res.body.deliveryId);
    expect(owner.tenantId).toBe(deliveries[1]?.tenantId);
  });

  it("refuses a delivery still being tried (409), and another tenant's delivery (404)", async () => {
    const { appId } = await ownerWithApp();
    const endpoint = (await addEndpoint(appId, {})).body.endpoint;
    await emitAppEvent(harness.db, { appId, event: balanceLow });
    const [pending] = await webhookDeliveriesTo(endpoint.id);
    if (!pending) throw new Error("no delivery");
    expect((await invoke(resendRoute, { method: "POST", params: { appId, endpointId: endpoint.id, deliveryId: pending.id } })).status).toBe(409);

    const stranger = await ownerWithApp();
    expect((await invoke(resendRoute, { method: "POST", params: { appId: stranger.appId, endpointId: endpoint.id, deliveryId: pending.id } })).status).toBe(404);
  });
});
