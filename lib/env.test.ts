import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { isAddressAllowed, isHostNameAllowed } from "@/lib/net/allowed-targets";

/** getServerEnv caches its first answer: each test imports a fresh copy of the module. */
async function freshEnv() {
  vi.resetModules();
  return (await import("./env")).getServerEnv;
}

beforeEach(() => {
  vi.stubEnv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres");
  vi.stubEnv("NEXTAUTH_SECRET", randomBytes(32).toString("base64url"));
  vi.stubEnv("RELAY_SECRET", randomBytes(32).toString("base64url"));
  vi.stubEnv("KEY_ENCRYPTION_KEY", randomBytes(32).toString("base64"));
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe("WEBHOOK_ALLOWED_TARGETS", () => {
  it("is empty unless set", async () => {
    vi.stubEnv("WEBHOOK_ALLOWED_TARGETS", undefined);
    const allowed = (await freshEnv())().WEBHOOK_ALLOWED_TARGETS;
    expect(isAddressAllowed("127.0.0.1", allowed)).toBe(false);
    expect(isHostNameAllowed("localhost", allowed)).toBe(false);
  });

  it("is parsed once into addresses, ranges and names", async () => {
    vi.stubEnv("WEBHOOK_ALLOWED_TARGETS", "127.0.0.1, 10.0.0.0/8, hooks.internal");
    const allowed = (await freshEnv())().WEBHOOK_ALLOWED_TARGETS;
    expect(isAddressAllowed("10.9.8.7", allowed)).toBe(true);
    expect(isHostNameAllowed("hooks.internal", allowed)).toBe(true);
  });

  it("fails at start with a message naming the variable and the bad entry", async () => {
    vi.stubEnv("WEBHOOK_ALLOWED_TARGETS", "127.0.0.1,http://hooks.internal");
    const getServerEnv = await freshEnv();
    expect(() => getServerEnv()).toThrow('WEBHOOK_ALLOWED_TARGETS: "http://hooks.internal" is not an IP address, a CIDR range');
  });
});

describe("Stripe settings", () => {
  it("start without any of them (the test provider) and with all three", async () => {
    expect((await freshEnv())().STRIPE_SECRET_KEY).toBeUndefined();
    vi.stubEnv("STRIPE_SECRET_KEY", "sk_live_abc");
    vi.stubEnv("STRIPE_PUBLISHABLE_KEY", "pk_live_abc");
    vi.stubEnv("STRIPE_WEBHOOK_SECRET", "whsec_abc");
    expect((await freshEnv())()).toMatchObject({ STRIPE_SECRET_KEY: "sk_live_abc", STRIPE_PUBLISHABLE_KEY: "pk_live_abc", STRIPE_WEBHOOK_SECRET: "whsec_abc" });
  });

  it("fail at start when only some are set, naming each missing one", async () => {
    vi.stubEnv("STRIPE_SECRET_KEY", "sk_test_abc");
    vi.stubEnv("STRIPE_PUBLISHABLE_KEY", "pk_test_abc");
    const getServerEnv = await freshEnv();
    expect(() => getServerEnv()).toThrow(/STRIPE_WEBHOOK_SECRET: must be set too/);
  });
});
