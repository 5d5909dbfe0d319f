// End to end on the real stack (web + relay + fresh database): a key created in the dashboard mints a
// token with POST /v1/tokens that the relay accepts; relay traffic shows in GET /v1/usage within a
// flush; the live /v1 operations reach the relay; an admin's plan edit is enforced at once (plan-change
// notice), not at the relay's next poll.
import { randomUUID } from "node:crypto";
import { CloseCode, type AppStatesResponse } from "@tollgate/relay/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { SessionClient } from "./helpers/session-client";
import { createPaidApp } from "./helpers/paid-app";
import { startStack, type Stack } from "./helpers/stack";

// The production default: every change below must reach the relay through the control plane's
// plan-change notice, well before the poll would bring it.
const PLAN_CACHE_REFRESH_MS = 60_000;
/** How soon a dashboard or admin change is enforced by the relay (target 2 s; doubled for slow CI). */
const CHANGE_DEADLINE_MS = 4_000;
const USAGE_FLUSH_MS = 500;

interface Frame {
  type: string;
  [field: string]: unknown;
}

class Peer {
  readonly frames: Frame[] = [];
  closeCode: number | null = null;
  private waiters: (() => void)[] = [];

  constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      this.frames.push(JSON.parse(String(data)) as Frame);
      this.notify();
    });
    socket.on("close", (code) => {
      this.closeCode = code;
      this.notify();
    });
  }

  private notify() {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  async until<T>(check: () => T | undefined, timeoutMs = 5_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out; frames: ${JSON.stringify(this.frames).slice(0, 500)}, close: ${this.closeCode}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  frame(type: string, match: (frame: Frame) => boolean = () => true) {
    return this.until(() => this.frames.find((frame) => frame.type === type && match(frame)));
  }

  send(frame: Frame) {
    this.socket.send(JSON.stringify(frame));
  }
}

/** Opens a connection and resolves once it is welcomed or closed (whichever comes first). */
async function connect(url: string): Promise<Peer> {
  const peer = new Peer(new WebSocket(url));
  await peer.until(() => (peer.frames.some((f) => f.type === "welcome") || peer.closeCode !== null ? true : undefined));
  return peer;
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("control plane ⇄ relay, end to end", () => {
  let stack: Stack;
  let customer: SessionClient;
  let admin: SessionClient;
  let appId: string;
  let auth: { authorization: string };
  const peers: Peer[] = [];

  const api = (path: string, init: RequestInit = {}) =>
    fetch(new URL(path, stack.webUrl), { ...init, headers: { ...auth, "content-type": "application/json", ...(init.headers ?? {}) } });
  const mint = async (peerId: string) => {
    const res = await api("/v1/tokens", { method: "POST", body: JSON.stringify({ peerId }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  };
  const open = async (peerId: string) => {
    const peer = await connect(`${stack.relayUrl}/v1?token=${await mint(peerId)}`);
    peers.push(peer);
    return peer;
  };

  const paidApp = (name: string, planSlug: string, owner: SessionClient = customer) => createPaidApp(owner, name, planSlug);

  /** A customer signed in to a new team of their own (its own wallet). */
  async function newCustomer(): Promise<SessionClient> {
    const client = new SessionClient(stack.webUrl);
    const email = `e2e-${randomUUID().slice(0, 8)}@example.com`;
    await client.json("/api/auth/sign-up", { method: "POST", body: JSON.stringify({ email, password: "a-good-password" }) });
    expect(await client.signIn(email, "a-good-password")).toBe(true);
    return client;
  }

  beforeAll(async () => {
    stack = await startStack({ planCacheRefreshMs: PLAN_CACHE_REFRESH_MS, usageFlushMs: USAGE_FLUSH_MS });
    customer = await newCustomer();
    admin = new SessionClient(stack.webUrl);
    expect(await admin.signIn(stack.admin.email, stack.admin.password)).toBe(true);
    appId = await paidApp("E2E", "starter");
    const key = await customer.json<{ key: { id: string }; secret: string }>(`/api/apps/${appId}/keys`, {
      method: "POST",
      body: JSON.stringify({ kind: "secret", name: "e2e backend" }),
    });
    expect(key.status).toBe(201);
    auth = { authorization: `Bearer ${key.body.key.id}:${key.body.secret}` };
    // The relay learns of the new app and key from the plan-change notice: until then tokens get 4001.
    await eventually(async () => {
      const probe = await connect(`${stack.relayUrl}/v1?token=${await mint("probe")}`);
      probe.socket.terminate();
      return probe.closeCode === null ? true : undefined;
    }, CHANGE_DEADLINE_MS);
  }, 240_000);

  afterAll(async () => {
    for (const peer of peers) peer.socket.terminate();
    await stack?.stop();
  });

  it("a token minted with POST /v1/tokens is accepted by the relay", async () => {
    const alice = await open("alice");
    const welcome = await alice.frame("welcome");
    expect(welcome).toMatchObject({ peerId: "alice", maxMessageSize: 65536 });
    expect(typeof welcome.expiresAt).toBe("number");
  });

  it("GET /v1/usage reflects relay traffic within one flush", async () => {
    const bob = await open("bob");
    bob.send({ type: "subscribe", channel: "room/1", requestId: "s1" });
    await bob.frame("ack", (f) => f.requestId === "s1");
    const carol = await open("carol");
    for (let i = 0; i < 3; i++) carol.send({ type: "publish", channel: "room/1", data: { i }, requestId: `p${i}` });
    await carol.frame("ack", (f) => f.requestId === "p2");
    await bob.until(() => (bob.frames.filter((f) => f.type === "message").length === 3 ? true : undefined));

    const startedAt = Date.now();
    const flushed = await eventually(async () => {
      const row = await stack.db.usagePeriod.findFirst({ where: { appId } });
      return row && Number(row.messagesUsed) >= 3 && Number(row.deliveredMessages) >= 3 ? row : undefined;
    }, 10_000);
    expect(Date.now() - startedAt).toBeLessThan(USAGE_FLUSH_MS * 6 + 2_000);
    expect(Number(flushed.egressBytes)).toBeGreaterThan(0);
    const usage = (await (await api("/v1/usage")).json()) as Record<string, unknown>;
    expect(usage).toMatchObject({ appId, messagesUsed: 3, deliveredMessages: 3, relayReachable: true, plan: { name: "Starter" } });
    expect(usage.concurrentNow).toBeGreaterThanOrEqual(3);
    const dashboardUsage = await customer.json<Record<string, unknown>>(`/api/apps/${appId}/usage`);
    expect(dashboardUsage.body).toMatchObject({ messagesUsed: 3, deliveredMessages: 3 });
  });

  it("the live /v1 operations reach the relay: peers (channel with %2F), publish, disconnect", async () => {
    const listed = await api(`/v1/channels/${encodeURIComponent("room/1")}/peers`);
    expect(listed.status).toBe(200);
    expect(await listed.json()).toMatchObject({ channel: "room/1", peers: [{ peerId: "bob" }] });
    const published = await api(`/v1/channels/${encodeURIComponent("room/1")}/publish`, { method: "POST", body: JSON.stringify({ data: "from rest" }) });
    expect(await published.json()).toEqual({ channel: "room/1", delivered: 1 });
    const bob = peers[1];
    if (!bob) throw new Error("bob missing");
    await bob.frame("message", (f) => f.data === "from rest");
    const disconnected = await api("/v1/peers/bob", { method: "DELETE" });
    expect(await disconnected.json()).toEqual({ peerId: "bob", closed: 1 });
    await bob.until(() => bob.closeCode ?? undefined);
    expect(bob.closeCode).toBe(CloseCode.AdminDisconnect);
  });

  it("an admin's plan edit is enforced within seconds, long before the relay's 60 s poll", async () => {
    const plans = await admin.json<{ plans: { id: string; slug: string }[] }>("/api/admin/plans");
    const starter = plans.body.plans.find((plan) => plan.slug === "starter");
    if (!starter) throw new Error("starter plan missing");
    // alice and carol are connected; a cap of 2 leaves no room for a third (overages are off).
    const edit = await admin.json(`/api/admin/plans/${starter.id}`, { method: "PATCH", body: JSON.stringify({ maxConcurrentConnections: 2 }) });
    expect(edit.status).toBe(200);
    const states = await fetch(`${stack.webUrl}/api/internal/relay/app-states`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.secrets.RELAY_SECRET}`, "content-type": "application/json" },
      body: JSON.stringify({ appIds: [appId] }),
    });
    const snapshotApp = ((await states.json()) as AppStatesResponse).apps.find((app) => app.appId === appId);
    expect(snapshotApp?.limits.maxConcurrentConnections).toBe(2);
    const editedAt = Date.now();
    const refused = await eventually(async () => {
      const peer = await open(`dave-${Date.now()}`);
      if (peer.closeCode === CloseCode.OverConcurrentLimit) return peer;
      peer.socket.close();
      await peer.until(() => peer.closeCode ?? undefined);
      return undefined;
    }, CHANGE_DEADLINE_MS);
    expect(refused.closeCode).toBe(CloseCode.OverConcurrentLimit);
    expect(Date.now() - editedAt).toBeLessThan(CHANGE_DEADLINE_MS);
    // Downgrades never drop live connections.
    expect(peers[0]?.closeCode).toBeNull();
  });

  it("a message quota under steady traffic: /v1/usage reports exactly what clients saw accepted and refused", async () => {
    const quota = 120;
    const id = await paidApp("Quota", "growth");
    expect((await admin.json(`/api/admin/apps/${id}/override`, { method: "PUT", body: JSON.stringify({ maxMessagesPerPeriod: quota }) })).status).toBe(200);
    const key = await customer.json<{ key: { id: string }; secret: string }>(`/api/apps/${id}/keys`, { method: "POST", body: JSON.stringify({ kind: "secret", name: "k" }) });
    const keyAuth = { authorization: `Bearer ${key.body.key.id}:${key.body.secret}` };
    const openPeer = async (peerId: string) => {
      const res = await fetch(new URL("/v1/tokens", stack.webUrl), { method: "POST", headers: { ...keyAuth, "content-type": "application/json" }, body: JSON.stringify({ peerId }) });
      const { token } = (await res.json()) as { token: string };
      const peer = await connect(`${stack.relayUrl}/v1?token=${token}`);
      peers.push(peer);
      return peer;
    };
    const publishers = await eventually(async () => {
      const opened = await Promise.all([openPeer("q1"), openPeer("q2"), openPeer("q3")]);
      if (opened.every((peer) => peer.closeCode === null)) return opened;
      for (const peer of opened) peer.socket.terminate();
      return undefined;
    }, CHANGE_DEADLINE_MS);
    // 3 clients × 40 publishes/s for 4 s: about 480 publishes across eight usage flushes.
    const sentBy = publishers.map(() => 0);
    const startedAt = Date.now();
    await Promise.all(
      publishers.map(async (peer, index) => {
        for (let next = startedAt + index * 8; next < startedAt + 4_000; next += 25) {
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
          peer.send({ type: "publish", channel: "quota", data: next, requestId: `m${sentBy[index]}` });
          sentBy[index] = (sentBy[index] ?? 0) + 1;
        }
      }),
    );
    const sent = sentBy.reduce((sum, count) => sum + count, 0);
    const isAnswer = (f: Frame) => (f.type === "ack" || f.type === "error") && typeof f.requestId === "string" && f.requestId.startsWith("m");
    const answers = await Promise.all(
      publishers.map((peer, index) =>
        peer.until(() => {
          const answered = peer.frames.filter(isAnswer);
          return answered.length >= (sentBy[index] ?? 0) ? answered : undefined;
        }, 15_000),
      ),
    );
    const all = answers.flat();
    const accepted = all.filter((f) => f.type === "ack").length;
    const refused = all.filter((f) => f.type === "error" && f.code === "over_message_quota").length;
    expect(accepted + refused).toBe(sent);
    expect(accepted).toBe(quota);
    const usage = await eventually(async () => {
      const res = await fetch(new URL("/v1/usage", stack.webUrl), { headers: keyAuth });
      const body = (await res.json()) as { messagesUsed: number; softDrops: number };
      return body.messagesUsed === accepted && body.softDrops === refused ? body : undefined;
    }, 10_000);
    expect(usage).toMatchObject({ messagesUsed: quota, softDrops: sent - quota });
  });

  describe("overage connections against the balance", () => {
    /**
     * A growth app with overages on, capped at one connection by an admin override, and its own key, in a
     * team of its own: the balance is the team's, and each of these starts from what it sets up.
     */
    async function cappedApp(billing: { topUpMinor?: number; autoRechargeCard?: string }) {
      const owner = await newCustomer();
      const id = await paidApp("Overage", "growth", owner);
      if (billing.topUpMinor) {
        const topUp = await owner.json(`/api/apps/${id}/billing/top-up`, { method: "POST", body: JSON.stringify({ amountMinor: billing.topUpMinor, cardNumber: "4242424242424242" }) });
        expect(topUp.status).toBe(200);
      }
      if (billing.autoRechargeCard) {
        const settings = await owner.json(`/api/apps/${id}/billing/auto-recharge`, {
          method: "PUT",
          body: JSON.stringify({ enabled: true, thresholdMinor: 100, amountMinor: 1000, cardNumber: billing.autoRechargeCard }),
        });
        expect(settings.status).toBe(200);
      }
      expect((await owner.json(`/api/apps/${id}`, { method: "PATCH", body: JSON.stringify({ overagesEnabled: true }) })).status).toBe(200);
      expect((await admin.json(`/api/admin/apps/${id}/override`, { method: "PUT", body: JSON.stringify({ maxConcurrentConnections: 1 }) })).status).toBe(200);
      const key = await owner.json<{ key: { id: string }; secret: string }>(`/api/apps/${id}/keys`, { method: "POST", body: JSON.stringify({ kind: "secret", name: "k" }) });
      const keyAuth = { authorization: `Bearer ${key.body.key.id}:${key.body.secret}` };
      const openPeer = async (peerId: string) => {
        const res = await fetch(new URL("/v1/tokens", stack.webUrl), { method: "POST", headers: { ...keyAuth, "content-type": "application/json" }, body: JSON.stringify({ peerId }) });
        const { token } = (await res.json()) as { token: string };
        const peer = await connect(`${stack.relayUrl}/v1?token=${token}`);
        peers.push(peer);
        return peer;
      };
      // Until the relay has loaded the new key, its tokens are refused with 4001.
      await eventually(async () => {
        const probe = await openPeer("probe");
        probe.socket.terminate();
        return probe.closeCode === CloseCode.InvalidToken ? undefined : true;
      }, CHANGE_DEADLINE_MS);
      return { id, openPeer, owner };
    }

    it("an overage connection is admitted and billed from the balance through the ledger", async () => {
      const app = await cappedApp({ topUpMinor: 1000 });
      // Until the relay has the new app and its override, connections are not overage ones: keep
      // opening until a flush reports one.
      let n = 0;
      const period = await eventually(async () => {
        const peer = await app.openPeer(`o${n++}`);
        expect(peer.closeCode).toBeNull();
        const row = await stack.db.usagePeriod.findFirst({ where: { appId: app.id, overageConnections: { gt: 0 } } });
        return row ?? undefined;
      }, CHANGE_DEADLINE_MS);
      const billing = await eventually(async () => {
        const res = await app.owner.json<{ balanceMinor: number; ledger: { kind: string; amountMinor: number }[] }>(`/api/apps/${app.id}/billing`);
        return res.body.ledger.some((entry) => entry.kind === "overage_debit") ? res.body : undefined;
      }, 5_000);
      // Growth prices an overage connection at 3; the debit matches the flushed overage count.
      const debited = billing.ledger.filter((e) => e.kind === "overage_debit").reduce((sum, e) => sum - e.amountMinor, 0);
      expect(debited % 3).toBe(0);
      expect(debited).toBeGreaterThanOrEqual(3 * period.overageConnections);
      expect(billing.balanceMinor).toBe(1000 - debited);
    });

    it("with no balance, a declining card makes the relay refuse the connection (4010) after asking for a recharge", async () => {
      const app = await cappedApp({ autoRechargeCard: "4000000000000341" });
      let n = 0;
      const refused = await eventually(async () => {
        const peer = await app.openPeer(`d${n++}`);
        return peer.closeCode === CloseCode.OverConcurrentLimit ? peer : undefined;
      }, CHANGE_DEADLINE_MS);
      expect(refused.closeCode).toBe(CloseCode.OverConcurrentLimit);
      const attempts = await stack.db.paymentAttempt.findMany({ where: { billingAccount: { tenant: { apps: { some: { id: app.id } } } }, kind: "auto_recharge" } });
      expect(attempts.length).toBeGreaterThanOrEqual(1);
      expect(attempts.every((a) => a.status === "declined" && a.trigger === "relay:connection")).toBe(true);
    });

    it("with no balance, a good card is charged by auto-recharge and the connection admitted", async () => {
      const app = await cappedApp({ autoRechargeCard: "4242424242424242" });
      let n = 0;
      await eventually(async () => {
        const peer = await app.openPeer(`r${n++}`);
        expect(peer.closeCode).toBeNull();
        const charged = await stack.db.ledgerEntry.findFirst({ where: { billingAccount: { tenant: { apps: { some: { id: app.id } } } }, kind: "auto_recharge" } });
        return charged ?? undefined;
      }, CHANGE_DEADLINE_MS);
      const attempt = await stack.db.paymentAttempt.findFirstOrThrow({ where: { billingAccount: { tenant: { apps: { some: { id: app.id } } } }, kind: "auto_recharge" } });
      expect(attempt).toMatchObject({ status: "succeeded", amountMinor: 1000, trigger: "relay:connection" });
    });
  });
});
