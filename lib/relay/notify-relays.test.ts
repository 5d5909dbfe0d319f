// Both paths of a plan-change notice: without REDIS_URL a POST to the relay at RELAY_INTERNAL_URL, with it
// a PUBLISH on the plan-change channel every relay node listens to.
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { PLAN_CHANGE_CHANNEL, planChangeNoticeSchema, RelayInternalPath } from "@tollgate/relay/protocol";
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
