// The dashboard's activity views through the real handlers: the usage export (CSV per day), the live
// connection inspector with an owner's kick, and the log of recent /v1 requests. Who may do what:
// members and owners read, only owners kick, another team's app is a 404.
import { CloseCode } from "@tollgate/relay/protocol";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as connectionsRoute } from "@/app/api/apps/[appId]/connections/route";
import { DELETE as kickRoute } from "@/app/api/apps/[appId]/peers/[peerId]/route";
import { GET as requestsRoute } from "@/app/api/apps/[appId]/requests/route";
import { GET as exportRoute } from "@/app/api/apps/[appId]/usage/export/route";
import { POST as v1TokensRoute } from "@/app/v1/tokens/route";
import { GET as v1UsageRoute } from "@/app/v1/usage/route";
import type { SessionUser } from "@/lib/auth/authenticate";
import type { LiveConnectionsView } from "@/lib/connections/live-connections.types";
import { getDb } from "@/lib/db";
import { createApiKey } from "@/lib/keys/create-api-key";
import { type ApiRequestView, getRequestLogWriter, pruneRequestLog, REQUEST_LOG_MAX_PER_APP } from "@/lib/v1/request-log";
import { USAGE_EXPORT_HEADER } from "@/lib/usage/usage-export";
import { createTestApp, createUser, TEST_ENCRYPTION_KEY, type TestUser } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

let harness: RouteHarness;

beforeAll(async () => {
  harness = await startRouteHarness();
});
afterAll(async () => harness?.stop());

/** An app with its owner, a member of the same team and a stranger from another team. */
async function team() {
  const owner = await createUser(harness.db);
  const member = await createUser(harness.db);
  await harness.db.membership.create({ data: { userId: member.id, tenantId: owner.tenantId, role: "member" } });
  const stranger = await createUser(harness.db);
  const app = await createTestApp(harness.db, { tenantId: owner.tenantId, name: "Chat, live" });
  return { owner, member, stranger, app };
}

function as(user: TestUser): void {
  session.user = user;
}

describe("usage export", () => {
  it("one CSV row per UTC day of the range, with the day's samples summed and its usage charges, for owners and members", async () => {
    const { owner, member, app } = await team();
    const minute = (iso: string) => new Date(iso);
    await harness.db.usageSample.createMany({
      data: [
        { appId: app.id, minute: minute("2026-11-02T10:00:00Z"), messages: 40, delivered: 80, egressBytes: 4096n, connectionMinutes: 3, peakConcurrent: 2, softDrops: 1 },
        { appId: app.id, minute: minute("2026-11-02T23:59:00Z"), messages: 2, delivered: 4, egressBytes: 100n, connectionMinutes: 1, peakConcurrent: 5, softDrops: 0 },
        { appId: app.id, minute: minute("2026-11-04T00:00:00Z"), messages: 7, delivered: 7, egressBytes: 0n, connectionMinutes: 1, peakConcurrent: 1, softDrops: 0 },
        // Outside the range: never in the file.
        { appId: app.id, minute: minute("2026-11-05T00:00:00Z"), messages: 999, delivered: 0, egressBytes: 0n, connectionMinutes: 0, peakConcurrent: 0, softDrops: 0 },
      ],
    });
    const account = await harness.db.billingAccount.findFirstOrThrow({ where: { tenant: { apps: { some: { id: app.id } } } } });
    await harness.db.ledgerEntry.create({
      data: { billingAccountId: account.id, appId: app.id, kind: "overage_debit", amountMinor: -125, balanceAfterMinor: -125, description: "usage", createdAt: new Date("2026-11-02T12:00:00Z") },
    });
    for (const user of [owner, member]) {
      as(user);
      const res = await invoke<string>(exportRoute, { params: { appId: app.id }, path: "/?from=2026-11-02&to=2026-11-04" });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/csv");
      expect(res.headers.get("content-disposition")).toContain(`usage-${app.id}-2026-11-02-to-2026-11-04.csv`);
      expect(res.body.trim().split("\r\n")).toEqual([
        USAGE_EXPORT_HEADER.join(","),
        `2026-11-02,${app.id},"Chat, live",42,84,4196,4,5,1,125,1.25`,
        `2026-11-03,${app.id},"Chat, live",0,0,0,0,0,0,0,0.00`,
        `2026-11-04,${app.id},"Chat, live",7,7,0,1,1,0,0,0.00`,
      ]);
    }
  });

  it("refuses a malformed date, a start after the end and a range over 366 days with 422 naming the field; another team's app is 404", async () => {
    const { owner, stranger, app } = await team();
    as(owner);
    const cases: [string, string][] = [
      ["/?from=2026-13-01&to=2026-12-01", "from"],
      ["/?from=yesterday", "from"],
      ["/?from=2026-11-05&to=2026-11-04", "from"],
      ["/?from=2025-01-01&to=2026-01-02", "to"],
    ];
    for (const [path, field] of cases) {
      const res = await invoke(exportRoute, { params: { appId: app.id }, path });
      expect(res.status, path).toBe(422);
      expect(res.body, path).toMatchObject({ error: "invalid_request", field });
    }
    // Without dates: the last 30 days up to today.
    const recent = await invoke<string>(exportRoute, { params: { appId: app.id } });
    expect(recent.body.trim().split("\r\n")).toHaveLength(31);
    expect(recent.body.trim().split("\r\n").at(-1)?.startsWith(new Date().toISOString().slice(0, 10))).toBe(true);
    as(stranger);
    expect((await invoke(exportRoute, { params: { appId: app.id } })).status).toBe(404);
  });
});

describe("connection inspector", () => {
  it("lists the relays' connections oldest first and recent closes newest first with what the code means", async () => {
    const { member, app } = await team();
    harness.relay.state.connectionNodes = [
      {
        relayId: "node-b",
        open: 1,
        connections: [{ connectionId: "b:1", peerId: "bob", keyId: "pk_1", address: "10.0.0.2", origin: null, connectedAtUnixMs: 2_000 }],
        recentlyClosed: [{ connectionId: "b:0", peerId: "eve", keyId: "pk_1", address: "10.0.0.9", origin: null, connectedAtUnixMs: 1, closedAtUnixMs: 5_000, code: CloseCode.OverMessageRate, reason: "over_message_rate" }],
      },
      {
        relayId: "node-a",
        open: 3,
        connections: [{ connectionId: "a:1", peerId: "alice", keyId: "sk_1", address: "10.0.0.1", origin: "https://chat.example", connectedAtUnixMs: 1_000 }],
        recentlyClosed: [{ connectionId: "a:0", peerId: "carol", keyId: "sk_1", address: "10.0.0.3", origin: null, connectedAtUnixMs: 1, closedAtUnixMs: 6_000, code: 1000, reason: null }],
      },
    ];
    try {
      as(member);
      const res = await invoke<LiveConnectionsView>(connectionsRoute, { params: { appId: app.id }, path: "/?limit=10" });
      expect(res.status).toBe(200);
      expect(res.body.open).toBe(4);
      expect(res.body.connections.map((c) => [c.peerId, c.relayId, c.origin])).toEqual([
        ["alice", "node-a", "https://chat.example"],
        ["bob", "node-b", null],
      ]);
      expect(res.body.recentlyClosed.map((c) => [c.peerId, c.code, c.explanation])).toEqual([
        ["carol", 1000, "closed by client"],
        ["eve", CloseCode.OverMessageRate, "over the per-connection message or frame rate"],
      ]);
      expect(harness.relay.calls.at(-1)).toMatchObject({ segments: ["internal", "apps", app.id, "connections"], query: "limit=10" });
    } finally {
      harness.relay.state.connectionNodes = [];
    }
  });

  it("a page over the relay's limit is 422; another team's app is 404", async () => {
    const { owner, stranger, app } = await team();
    as(owner);
    expect((await invoke(connectionsRoute, { params: { appId: app.id }, path: "/?limit=100000" })).status).toBe(422);
    as(stranger);
    expect((await invoke(connectionsRoute, { params: { appId: app.id } })).status).toBe(404);
  });

  it("an owner's kick asks every relay node to close the peer with the owner's reason and is audited; a member gets 403, a stranger 404", async () => {
    const { owner, member, stranger, app } = await team();
    as(member);
    const denied = await invoke(kickRoute, { method: "DELETE", params: { appId: app.id, peerId: "alice" } });
    expect(denied.status).toBe(403);
    as(stranger);
    expect((await invoke(kickRoute, { method: "DELETE", params: { appId: app.id, peerId: "alice" } })).status).toBe(404);
    as(owner);
    expect((await invoke(kickRoute, { method: "DELETE", params: { appId: app.id, peerId: "bad peer\u0001" } })).status).toBe(400);
    const before = harness.relay.calls.length;
    const kicked = await invoke(kickRoute, { method: "DELETE", params: { appId: app.id, peerId: "alice" } });
    expect(kicked).toMatchObject({ status: 200, body: { peerId: "alice", closed: 1 } });
    expect(harness.relay.calls.slice(before)).toEqual([expect.objectContaining({ method: "DELETE", segments: ["internal", "apps", app.id, "peers", "alice"], query: "by=owner" })]);
    const audit = await harness.db.auditLog.findFirst({ where: { targetId: app.id, action: "app.peer_disconnect" } });
    expect(audit).toMatchObject({ actorId: owner.id, after: { peerId: "alice", closed: 1 } });
  });
});

describe("recent /v1 requests", () => {
  it("a /v1 request shows in its app's log with method, path, status, key and duration, for members too; not in another app's", async () => {
    const { member, stranger, app } = await team();
    const other = await createTestApp(harness.db, { tenantId: stranger.tenantId });
    const key = await createApiKey(harness.db, { appId: app.id, kind: "secret", name: "backend", encryptionKey: TEST_ENCRYPTION_KEY });
    const ok = await invoke(v1UsageRoute, { path: "/v1/usage", headers: { authorization: `Bearer ${key.id}:${key.secret}` } });
    expect(ok.status).toBe(200);
    await getRequestLogWriter(getDb).flush();
    as(member);
    const log = await invoke<{ requests: ApiRequestView[]; keptHours: number }>(requestsRoute, { params: { appId: app.id } });
    expect(log.status).toBe(200);
    expect(log.body.keptHours).toBe(24);
    expect(log.body.requests).toEqual([{ method: "GET", path: "/v1/usage", status: 200, keyId: key.id, durationMs: expect.any(Number), at: expect.any(String) }]);
    as(stranger);
    expect((await invoke(requestsRoute, { params: { appId: app.id } })).status).toBe(404);
    expect((await invoke<{ requests: unknown[] }>(requestsRoute, { params: { appId: other.id } })).body.requests).toEqual([]);
  });

  it("a browser's usage-token request and a refused body are logged too, without the token in the path; an unauthenticated one is not", async () => {
    const { owner, app } = await team();
    const key = await createApiKey(harness.db, { appId: app.id, kind: "secret", name: "backend", encryptionKey: TEST_ENCRYPTION_KEY, actions: ["subscribe", "usage"] });
    const authorization = `Bearer ${key.id}:${key.secret}`;
    const minted = await invoke<{ token: string }>(v1TokensRoute, { method: "POST", path: "/v1/tokens", headers: { authorization }, body: { peerId: "", permissions: ["usage"] } });
    expect(minted.status).toBe(400);
    const token = (await invoke<{ token: string }>(v1TokensRoute, { method: "POST", path: "/v1/tokens", headers: { authorization }, body: { peerId: "viewer", permissions: ["usage"] } })).body.token;
    expect((await invoke(v1UsageRoute, { path: `/v1/usage?token=${token}` })).status).toBe(200);
    expect((await invoke(v1UsageRoute, { path: "/v1/usage", headers: { authorization: `Bearer ${key.id}:sk_secret_wrong` } })).status).toBe(401);
    await getRequestLogWriter(getDb).flush();
    as(owner);
    const log = await invoke<{ requests: ApiRequestView[] }>(requestsRoute, { params: { appId: app.id } });
    expect(log.body.requests.map((request) => `${request.method} ${request.path} ${request.status}`)).toEqual(["GET /v1/usage 200", "POST /v1/tokens 200", "POST /v1/tokens 400"]);
  });

  it("the prune job keeps a day and at most the newest 500 per app", async () => {
    const { app } = await team();
    const now = new Date();
    const entry = (at: Date, path: string) => ({ appId: app.id, keyId: "sk_x", method: "GET", path, status: 200, durationMs: 1, at });
    await harness.db.apiRequestLog.createMany({
      data: [
        entry(new Date(now.getTime() - 25 * 3_600_000), "/v1/old"),
        ...Array.from({ length: REQUEST_LOG_MAX_PER_APP + 3 }, (_, i) => entry(new Date(now.getTime() - (REQUEST_LOG_MAX_PER_APP + 3 - i) * 1000), `/v1/n${i}`)),
      ],
    });
    expect(await pruneRequestLog(harness.db, now)).toEqual({ expired: 1, overCap: 3 });
    const kept = await harness.db.apiRequestLog.findMany({ where: { appId: app.id }, orderBy: { at: "asc" }, select: { path: true } });
    expect(kept).toHaveLength(REQUEST_LOG_MAX_PER_APP);
    expect(kept[0]?.path).toBe("/v1/n3");
  });
});
