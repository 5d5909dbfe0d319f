// Both paths of a plan-change notice: without REDIS_URL a POST to the relay at RELAY_INTERNAL_URL, with it
// a PUBLISH on the plan-change channel every relay node listens to; and the debounce per app.
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { PLAN_CHANGE_CHANNEL, type PlanChangeNotice, planChangeNoticeSchema, RelayInternalPath } from "@tollgate/relay/protocol";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const RELAY_SECRET = "s".repeat(40);

beforeEach(() => {
  vi.resetModules();
  vi.stubEnv("DATABASE_URL", "postgresql://127.0.0.1/unused");
  vi.stubEnv("NEXTAUTH_SECRET", "n".repeat(40));
  vi.stubEnv("RELAY_SECRET", RELAY_SECRET);
  vi.stubEnv("KEY_ENCRYPTION_KEY", Buffer.alloc(32).toString("base64"));
});
afterEach(() => vi.unstubAllEnvs());

describe("notifyRelaysOfChange", () => {
  it("without Redis, POSTs the notice to the relay with the relay secret", async () => {
    const received: Array<{ path: string; auth: string | undefined; body: unknown }> = [];
    const relay = http.createServer(async (req, res) => {
      let text = "";
      for await (const chunk of req) text += String(chunk);
      received.push({ path: req.url ?? "", auth: req.headers.authorization, body: JSON.parse(text) });
      res.writeHead(202, { "content-type": "application/json" }).end(JSON.stringify({ accepted: true }));
    });
    relay.listen(0, "127.0.0.1");
    await once(relay, "listening");
    try {
      vi.stubEnv("REDIS_URL", undefined);
      vi.stubEnv("RELAY_INTERNAL_URL", `http://127.0.0.1:${(relay.address() as AddressInfo).port}`);
      const { notifyRelaysOfChange } = await import("./notify-relays");
      notifyRelaysOfChange({ appId: "app_1", kind: "key" });
      await vi.waitFor(() => expect(received).toHaveLength(1));
      expect(received[0]).toMatchObject({ path: RelayInternalPath.planChanged, auth: `Bearer ${RELAY_SECRET}`, body: { appId: "app_1", kind: "key" } });
    } finally {
      relay.close();
    }
  });

  it("with Redis, publishes the notice on the plan-change channel (REDIS_PLAN_CHANGE_CHANNEL when set)", async () => {
    const channel = `${PLAN_CHANGE_CHANNEL}:test:${process.pid}`;
    const subscriber = new Redis(REDIS_URL);
    try {
      await subscriber.subscribe(channel);
      const heard = once(subscriber, "message");
      vi.stubEnv("REDIS_URL", REDIS_URL);
      vi.stubEnv("REDIS_PLAN_CHANGE_CHANNEL", channel);
      const { notifyRelaysOfChange } = await import("./notify-relays");
      notifyRelaysOfChange({ kind: "plan" });
      const [onChannel, payload] = (await heard) as [string, string];
      expect(onChannel).toBe(channel);
      expect(planChangeNoticeSchema.parse(JSON.parse(payload))).toMatchObject({ kind: "plan" });
    } finally {
      subscriber.disconnect();
    }
  });
});

describe("debounce per app", () => {
  /** The notifier with a relay client that records what it is sent, on fake timers. */
  async function notifierWithRecordingRelay() {
    const sent: PlanChangeNotice[] = [];
    vi.stubEnv("REDIS_URL", undefined);
    vi.doMock("./get-relay-client", () => ({
      getRelayClient: () => ({
        notifyPlanChanged: async (notice: PlanChangeNotice) => {
          sent.push(notice);
        },
      }),
    }));
    const notifier = await import("./notify-relays");
    return { sent, ...notifier };
  }

  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    vi.doUnmock("./get-relay-client");
  });

  it("sends the first change of a burst at once and the rest as one trailing notice a second later", async () => {
    const { sent, notifyRelaysOfChange, NOTICE_INTERVAL_MS } = await notifierWithRecordingRelay();
    notifyRelaysOfChange({ appId: "app_1", kind: "key" });
    expect(sent).toMatchObject([{ appId: "app_1", kind: "key" }]);
    for (let i = 0; i < 40; i++) notifyRelaysOfChange({ appId: "app_1", kind: "key" });
    notifyRelaysOfChange({ appId: "app_1", kind: "status" });
    vi.advanceTimersByTime(NOTICE_INTERVAL_MS - 1);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sent).toMatchObject([{ kind: "key" }, { appId: "app_1", kind: "status" }]);
    vi.advanceTimersByTime(10 * NOTICE_INTERVAL_MS);
    expect(sent).toHaveLength(2);
  });

  it("a steady stream of changes gives one notice per second, and other apps are not held back", async () => {
    const { sent, notifyRelaysOfChange, NOTICE_INTERVAL_MS } = await notifierWithRecordingRelay();
    for (let elapsed = 0; elapsed < 5 * NOTICE_INTERVAL_MS; elapsed += 50) {
      notifyRelaysOfChange({ appId: "app_busy", kind: "key" });
      vi.advanceTimersByTime(50);
    }
    vi.advanceTimersByTime(NOTICE_INTERVAL_MS);
    const busy = sent.filter((notice) => notice.appId === "app_busy").map((notice) => notice.atUnixMs);
    expect(busy).toHaveLength(6);
    for (let i = 1; i < busy.length; i++) expect((busy[i] ?? 0) - (busy[i - 1] ?? 0)).toBeGreaterThanOrEqual(NOTICE_INTERVAL_MS);

    notifyRelaysOfChange({ appId: "app_busy", kind: "key" });
    notifyRelaysOfChange({ appId: "app_quiet", kind: "override" });
    notifyRelaysOfChange({ kind: "plan" });
    expect(sent.slice(-3)).toMatchObject([{ appId: "app_busy" }, { appId: "app_quiet" }, { kind: "plan" }]);
  });

  it("closing sends the held notice at once", async () => {
    const { sent, notifyRelaysOfChange, closeRelayNotifier } = await notifierWithRecordingRelay();
    notifyRelaysOfChange({ appId: "app_1", kind: "app" });
    notifyRelaysOfChange({ appId: "app_1", kind: "key" });
    await closeRelayNotifier();
    expect(sent).toMatchObject([{ kind: "app" }, { kind: "key" }]);
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(2);
  });

  it("a held notice's timer does not keep the process alive", async () => {
    vi.useRealTimers();
    const { notifyRelaysOfChange, closeRelayNotifier } = await notifierWithRecordingRelay();
    const liveTimers = () => process.getActiveResourcesInfo().filter((resource) => resource === "Timeout").length;
    const before = liveTimers();
    notifyRelaysOfChange({ appId: "app_1", kind: "key" });
    notifyRelaysOfChange({ appId: "app_1", kind: "key" });
    expect(liveTimers()).toBe(before);
    await closeRelayNotifier();
  });
});
