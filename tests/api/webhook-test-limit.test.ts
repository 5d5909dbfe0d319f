// "Send test" (POST /api/apps/:appId/webhooks/:endpointId/test) through the real handler: a burst of
// test events per endpoint, then 429 rate_limited with Retry-After; another endpoint has its own allowance.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as sendTestRoute } from "@/app/api/apps/[appId]/webhooks/[endpointId]/test/route";
import type { SessionUser } from "@/lib/auth/authenticate";
import { NO_ALLOWED_TARGETS } from "@/lib/net/allowed-targets";
import { TEST_EVENT_BURST, TEST_EVENT_REFILL_SECONDS } from "@/lib/notifications/test-event-limit";
import { createWebhookEndpoint } from "@/lib/notifications/webhook-endpoints";
import { createTestApp, createUser, TEST_ENCRYPTION_KEY } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

let harness: RouteHarness;

beforeAll(async () => {
  harness = await startRouteHarness();
});
afterAll(async () => harness?.stop());

describe("test events", () => {
  it("an endpoint gets a burst of test events, then 429 rate_limited with Retry-After; another endpoint still gets its own", async () => {
    const user = await createUser(harness.db);
    session.user = user;
    const app = await createTestApp(harness.db, { tenantId: user.tenantId });
    const addEndpoint = async () =>
      (
        await createWebhookEndpoint(harness.db, {
          actor: { id: user.id },
          appId: app.id,
          endpoint: { url: "https://hooks.example.com/tollgate" },
          encryptionKey: TEST_ENCRYPTION_KEY,
          allowedTargets: NO_ALLOWED_TARGETS,
        })
      ).endpoint.id;
    const [first, second] = [await addEndpoint(), await addEndpoint()];
    const sendTest = (endpointId: string) => invoke(sendTestRoute, { method: "POST", params: { appId: app.id, endpointId } });

    for (let sent = 0; sent < TEST_EVENT_BURST; sent++) expect((await sendTest(first)).status).toBe(202);
    const refused = await sendTest(first);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: "rate_limited" });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(TEST_EVENT_REFILL_SECONDS);
    expect((await sendTest(second)).status).toBe(202);
    const queued = await harness.db.appEvent.count({ where: { appId: app.id, type: "webhook.test" } });
    expect(queued).toBe(TEST_EVENT_BURST + 1);
  });
});
