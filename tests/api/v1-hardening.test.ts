// /v1 rules of PROTOCOL §7 that hold against misuse: suspended apps, full-scope disconnect, the peerId
// and 4 KB rules on publish, text that cannot be stored, and the failed-auth throttle per source.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as publishRoute } from "@/app/v1/channels/[channel]/publish/route";
import { GET as peersRoute } from "@/app/v1/channels/[channel]/peers/route";
import { DELETE as disconnectRoute } from "@/app/v1/peers/[peerId]/route";
import { POST as tokensRoute } from "@/app/v1/tokens/route";
import { GET as usageRoute } from "@/app/v1/usage/route";
import { createApiKey } from "@/lib/keys/create-api-key";
import { FAILED_AUTH_BURST } from "@/lib/http/api-rate-limits";
import { createTestApp, createUser, TEST_ENCRYPTION_KEY } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";

let harness: RouteHarness;

beforeAll(async () => {
  harness = await startRouteHarness();
});
afterAll(async () => harness?.stop());

let sourceCounter = 0;
/** Each test calls from its own address, so failed-auth budgets never leak between tests. */
function newSource(): string {
  sourceCounter += 1;
  return `198.51.100.${sourceCounter}`;
}

async function newKey(options: { channelPatterns?: string[]; actions?: ("publish" | "subscribe" | "presence" | "send")[] } = {}) {
  const user = await createUser(harness.db);
  const app = await createTestApp(harness.db, { tenantId: user.tenantId });
  const key = await createApiKey(harness.db, { appId: app.id, kind: "secret", name: "backend", encryptionKey: TEST_ENCRYPTION_KEY, ...options });
  const source = newSource();
  return { app, key, headers: { authorization: `Bearer ${key.id}:${key.secret}`, "x-tollgate-peer-address": source } };
}

describe("suspended apps", () => {
  it("get 403 app_suspended from token minting and publishing, but can still read usage and presence", async () => {
    const { app, headers } = await newKey();
    await harness.db.app.update({ where: { id: app.id }, data: { status: "suspended" } });
    const callsBefore = harness.relay.calls.length;
    const token = await invoke(tokensRoute, { method: "POST", headers, body: { peerId: "p" } });
    expect(token.status).toBe(403);
    expect(token.body).toMatchObject({ error: "app_suspended" });
    const publish = await invoke(publishRoute, { method: "POST", headers, params: { channel: "room" }, body: { data: 1 } });
    expect(publish.status).toBe(403);
    expect(publish.body).toMatchObject({ error: "app_suspended" });
    expect(harness.relay.calls.length).toBe(callsBefore);
    expect((await invoke(usageRoute, { headers })).status).toBe(200);
    expect((await invoke(peersRoute, { headers, params: { channel: "room" } })).status).toBe(200);
    await harness.db.app.update({ where: { id: app.id }, data: { status: "active" } });
    expect((await invoke(tokensRoute, { method: "POST", headers, body: { peerId: "p" } })).status).toBe(200);
  });
});

describe("DELETE /v1/peers/:peerId", () => {
  it("needs the full ** channel scope: a narrowed key gets 403 action_not_permitted and the relay is not called", async () => {
    for (const narrowed of [{ channelPatterns: ["only/this"], actions: ["subscribe" as const] }, { channelPatterns: ["chat/**"] }]) {
      const { headers } = await newKey(narrowed);
      const callsBefore = harness.relay.calls.length;
      const res = await invoke(disconnectRoute, { method: "DELETE", headers, params: { peerId: "victim" } });
      expect(res.status, JSON.stringify(narrowed)).toBe(403);
      expect(res.body).toMatchObject({ error: "action_not_permitted" });
      expect(harness.relay.calls.length).toBe(callsBefore);
    }
    const { headers } = await newKey();
    const res = await invoke(disconnectRoute, { method: "DELETE", headers, params: { peerId: "victim" } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ peerId: "victim", closed: 1 });
  });
});

describe("POST /v1/channels/:channel/publish input rules", () => {
  it("from follows the peerId rule and peerMetadata the 4 KB rule: 400 invalid_request naming the field", async () => {
    const { headers } = await newKey();
    const cases: [Record<string, unknown>, string][] = [
      [{ data: 1, from: "bad\u0001peer" }, "from"],
      [{ data: 1, from: "line\nbreak" }, "from"],
      [{ data: 1, from: "é" }, "from"],
      [{ data: 1, from: "x".repeat(129) }, "from"],
      [{ data: 1, from: "" }, "from"],
      [{ data: 1, peerMetadata: { blob: "x".repeat(20 * 1024) } }, "peerMetadata"],
      [{ data: 1, peerMetadata: { blob: "x".repeat(4 * 1024) } }, "peerMetadata"],
    ];
    const callsBefore = harness.relay.calls.length;
    for (const [body, field] of cases) {
      const res = await invoke(publishRoute, { method: "POST", headers, params: { channel: "room" }, body });
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(res.body).toMatchObject({ error: "invalid_request", field });
    }
    expect(harness.relay.calls.length).toBe(callsBefore);
    const ok = await invoke(publishRoute, { method: "POST", headers, params: { channel: "room" }, body: { data: 1, from: "x".repeat(128), peerMetadata: { name: "Ada" } } });
    expect(ok.status).toBe(200);
  });
});

describe("text that cannot be stored", () => {
  it("a NUL or a lone surrogate in a body field or a path param is 400 naming it, never 500", async () => {
    const { headers } = await newKey();
    const bodies: [Record<string, unknown>, string][] = [
      [{ peerId: "a\u0000b" }, "peerId"],
      [{ peerId: "p", channels: ["chat/\ud800"] }, "channels.0"],
      [{ peerId: "p", channels: ["chat/\u0000"] }, "channels.0"],
      // The relay refuses a token whose channels entry is over 256 bytes (4001): minting it would hand out a dead token.
      [{ peerId: "p", channels: ["ok", `chat/${"é".repeat(126)}`] }, "channels.1"],
      [{ peerId: "p", metadata: { ["\udc00"]: 1 } }, "metadata"],
    ];
    for (const [body, field] of bodies) {
      const res = await invoke(tokensRoute, { method: "POST", headers, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toMatchObject({ error: "invalid_request", field: expect.stringContaining(field) });
    }
    for (const channel of ["room\u0000", "room\ud800"]) {
      const res = await invoke(publishRoute, { method: "POST", headers, params: { channel }, body: { data: 1 } });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: "invalid_request", field: "channel" });
    }
    const peer = await invoke(disconnectRoute, { method: "DELETE", headers, params: { peerId: "\udfff" } });
    expect(peer.status).toBe(400);
    expect(peer.body).toMatchObject({ field: "peerId" });
  });
});

describe("failed authentication is throttled per source address", () => {
  it("after the burst an address gets 429 with Retry-After — even with a good key — other addresses do not, and the budget refills", async () => {
    const { key } = await newKey();
    const attacker = newSource();
    const bad = { authorization: `Bearer ${key.id}:sk_secret_guess`, "x-tollgate-peer-address": attacker };
    for (let i = 0; i < FAILED_AUTH_BURST; i++) expect((await invoke(usageRoute, { headers: bad })).status).toBe(401);
    const throttled = await invoke(usageRoute, { headers: bad });
    expect(throttled.status).toBe(429);
    expect(throttled.body).toMatchObject({ error: "rate_limited" });
    const retryAfter = Number(throttled.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    const good = { authorization: `Bearer ${key.id}:${key.secret}` };
    expect((await invoke(usageRoute, { headers: { ...good, "x-tollgate-peer-address": attacker } })).status).toBe(429);
    expect((await invoke(usageRoute, { headers: { ...good, "x-tollgate-peer-address": newSource() } })).status).toBe(200);
    // A client-sent X-Forwarded-For does not give the attacker a new address (no trusted proxy).
    expect((await invoke(usageRoute, { headers: { ...bad, "x-forwarded-for": "203.0.113.99" } })).status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 100));
    expect((await invoke(usageRoute, { headers: { ...good, "x-tollgate-peer-address": attacker } })).status).toBe(200);
    expect((await invoke(usageRoute, { headers: bad })).status).toBe(401);
  });

  it("answers carry Cache-Control: no-store (they hold tokens and usage)", async () => {
    const { headers } = await newKey();
    const token = await invoke(tokensRoute, { method: "POST", headers, body: { peerId: "p" } });
    expect(token.status).toBe(200);
    expect(token.headers.get("cache-control")).toBe("no-store");
  });
});
