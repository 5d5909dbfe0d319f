// GET /v1/usage from a browser (PROTOCOL §8): a connection token claiming `usage`, in the Authorization
// header or `?token=`, answered in the hosted usage API's shape with CORS; the secret-key form unchanged.
import { Limits } from "@tollgate/relay/protocol";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as tokensRoute } from "@/app/v1/tokens/route";
import { GET as usageRoute, OPTIONS as usagePreflight } from "@/app/v1/usage/route";
import { createApiKey } from "@/lib/keys/create-api-key";
import { createKeySchema } from "@/lib/keys/key.types";
import { revokeApiKey } from "@/lib/keys/manage-api-keys";
import { createTestApp, createUser, TEST_ENCRYPTION_KEY } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness, unflushedUsage } from "@/tests/helpers/route-harness";

let harness: RouteHarness;

beforeAll(async () => {
  harness = await startRouteHarness();
});
afterAll(async () => harness?.stop());

type Action = "publish" | "subscribe" | "presence" | "send" | "usage";

async function newApp(actions: Action[] = ["subscribe", "usage"]) {
  const user = await createUser(harness.db);
  const app = await createTestApp(harness.db, { tenantId: user.tenantId, planSlug: "starter" });
  const key = await createApiKey(harness.db, { appId: app.id, kind: "secret", name: "backend", encryptionKey: TEST_ENCRYPTION_KEY, actions });
  return { app, user, key, auth: { authorization: `Bearer ${key.id}:${key.secret}` } };
}

/** A token minted the way a customer's server mints it: POST /v1/tokens with the secret key. */
async function mintedToken(auth: Record<string, string>, permissions: Action[], expiresInSec = 600): Promise<string> {
  const res = await invoke<{ token: string }>(tokensRoute, { method: "POST", headers: auth, body: { peerId: "dashboard-user", permissions, expiresInSec } });
  expect(res.status).toBe(200);
  return res.body.token;
}

describe("GET /v1/usage with a usage token", () => {
  it("answers the hosted usage API's shape, live, to any page (Authorization header or ?token=)", async () => {
    const { app, user, auth } = await newApp();
    const token = await mintedToken(auth, ["usage"]);
    harness.relay.state.concurrentNow = 820;
    harness.relay.state.activeChannels = 4;
    harness.relay.state.unflushed = [{ ...unflushedUsage(await harness.relay.periodStartOf(app.id)), messagesAccepted: 4_600_000 }];
    try {
      for (const request of [{ headers: { authorization: `Bearer ${token}`, origin: "https://customer.example" } }, { path: `/v1/usage?token=${token}` }]) {
        const res = await invoke(usageRoute, request);
        expect(res.status).toBe(200);
        expect(res.headers.get("access-control-allow-origin")).toBe("*");
        expect(res.headers.get("cache-control")).toBe("no-store");
        expect(res.body).toEqual({
          tenantId: user.tenantId,
          appId: app.id,
          usage: {
            // Starter: 1,000 connections, 5,000,000 messages a period; no channel limit.
            connections: { current: 820, limit: 1000, percent: 82, status: "warning" },
            channels: { current: 4, limit: null, percent: null, status: "healthy" },
            messages: { current: 4_600_000, limit: 5_000_000, percent: 92, status: "critical" },
          },
          timestamp: expect.any(String),
          stale: false,
        });
        expect(Math.abs(Date.now() - Date.parse(res.body.timestamp as string))).toBeLessThan(5_000);
      }
      // The secret-key form keeps its own shape (and gains activeChannels).
      const server = await invoke(usageRoute, { headers: auth });
      expect(server.body).toMatchObject({ appId: app.id, concurrentNow: 820, activeChannels: 4, messagesUsed: 4_600_000 });
    } finally {
      harness.relay.state.concurrentNow = 0;
      harness.relay.state.activeChannels = 0;
      harness.relay.state.unflushed = [];
    }
  });

  it("the channels axis is measured against the app's maxActiveChannels", async () => {
    const { app, auth } = await newApp();
    const token = await mintedToken(auth, ["usage"]);
    await harness.db.appLimitOverride.create({ data: { appId: app.id, maxActiveChannels: 5 } });
    harness.relay.state.activeChannels = 4;
    try {
      const res = await invoke(usageRoute, { headers: { authorization: `Bearer ${token}` } });
      expect(res.body).toMatchObject({ usage: { channels: { current: 4, limit: 5, percent: 80, status: "warning" } } });
    } finally {
      harness.relay.state.activeChannels = 0;
    }
  });

  it("lets a page send the Authorization header (preflight)", async () => {
    const res = await usagePreflight();
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-headers")).toBe("Authorization");
    expect(res.headers.get("access-control-allow-methods")).toBe("GET");
  });

  it("refuses a token that does not claim usage, or whose key does not grant it, with 403", async () => {
    const { auth } = await newApp(["subscribe", "usage"]);
    const withoutUsage = await invoke(usageRoute, { headers: { authorization: `Bearer ${await mintedToken(auth, ["subscribe"])}` } });
    expect(withoutUsage.status).toBe(403);
    expect(withoutUsage.body).toMatchObject({ error: "action_not_permitted" });
    const noClaims = await invoke(usageRoute, { headers: { authorization: `Bearer ${await mintedToken(auth, [])}` } });
    expect(noClaims.status).toBe(403);

    // A key that does not grant usage cannot mint such a token at all…
    const { key, auth: plainAuth } = await newApp(["subscribe"]);
    const refused = await invoke(tokensRoute, { method: "POST", headers: plainAuth, body: { peerId: "p", permissions: ["usage"] } });
    expect(refused.status).toBe(403);
    // …and one signed by hand with its secret is refused too.
    const forged = await new SignJWT({ permissions: ["usage"] })
      .setProtectedHeader({ alg: "HS256", kid: key.id, typ: "JWT" })
      .setSubject("p")
      .setExpirationTime("10m")
      .sign(new TextEncoder().encode(key.secret ?? ""));
    expect((await invoke(usageRoute, { headers: { authorization: `Bearer ${forged}` } })).status).toBe(403);
  });

  it("refuses expired, forged, tampered, overlong and revoked-key tokens with 401, never 500", async () => {
    const { app, key, auth } = await newApp();
    const secret = new TextEncoder().encode(key.secret ?? "");
    const signed = (claims: Record<string, unknown>, expiresAt: number, signingKey = secret, kid = key.id) =>
      new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid, typ: "JWT" }).setSubject("p").setExpirationTime(expiresAt).sign(signingKey);
    const nowSec = Math.floor(Date.now() / 1000);
    const good = await mintedToken(auth, ["usage"]);
    const [header, payload, signature] = good.split(".");
    const widened = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload ?? "", "base64url").toString()), exp: nowSec + 999_999 })).toString("base64url");
    const unsigned = `${Buffer.from(JSON.stringify({ alg: "none", kid: key.id })).toString("base64url")}.${payload}.`;
    const refusedTokens = [
      await signed({ permissions: ["usage"] }, nowSec - 60),
      await signed({ permissions: ["usage"] }, nowSec + 600, new TextEncoder().encode("sk_secret_not_the_key")),
      await signed({ permissions: ["usage"] }, nowSec + Limits.maxTokenLifetimeSec + 3_600),
      await signed({ permissions: ["usage"] }, nowSec + 600, secret, "sk_id_unknown"),
      `${header}.${widened}.${signature}`,
      unsigned,
      "a.b.c",
    ];
    for (const token of refusedTokens) {
      const res = await invoke(usageRoute, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status, token.slice(0, 40)).toBe(401);
      expect(res.body).toMatchObject({ error: "unauthorized" });
      // A page can read why it was refused.
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
    }
    await revokeApiKey(harness.db, { actor: { id: null }, appId: app.id, keyId: key.id });
    expect((await invoke(usageRoute, { headers: { authorization: `Bearer ${good}` } })).status).toBe(401);
  });

  it("only secret keys grant usage", () => {
    const publishable = createKeySchema.safeParse({ kind: "publishable", name: "web", actions: ["subscribe", "usage"] });
    expect(publishable.success).toBe(false);
    expect(publishable.error?.issues[0]?.path).toEqual(["actions"]);
    expect(createKeySchema.safeParse({ kind: "secret", name: "backend", actions: ["usage"] }).success).toBe(true);
  });
});
