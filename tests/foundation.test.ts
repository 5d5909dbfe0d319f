// The foundation as a newcomer meets it: `npm start`'s stack comes up on a fresh database, the seeded
// admin and a new sign-up can sign in, the demo credentials file is usable, and pages deny by default.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionClient } from "./helpers/session-client";
import { startStack, type Stack } from "./helpers/stack";

describe("foundation stack", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, 240_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it("seeds the plan catalog, the admin and a demo app with both kinds of key", async () => {
    const plans = await stack.db.plan.findMany({ select: { slug: true, maxConcurrentConnections: true, maxMessagesPerPeriod: true, overagesAllowed: true } });
    expect(plans.map((plan) => plan.slug).sort()).toEqual(["free", "growth", "payg", "starter", "unlimited"]);
    expect(plans.find((plan) => plan.slug === "free")).toMatchObject({ maxConcurrentConnections: 100, maxMessagesPerPeriod: 100_000, overagesAllowed: false });
    expect(stack.demo.appId).toMatch(/^app_/);
    expect(stack.demo.secretKey.id).toMatch(/^sk_id_/);
    expect(stack.demo.secretKey.secret).toMatch(/^sk_secret_/);
    expect(stack.demo.publishableKey).toMatch(/^pk_live_/);
    const keys = await stack.db.apiKey.findMany({ where: { appId: stack.demo.appId }, select: { id: true, secretHash: true } });
    expect(keys.map((key) => key.id).sort()).toEqual([stack.demo.publishableKey, stack.demo.secretKey.id].sort());
    // The secret itself is never stored, only its hash.
    expect(JSON.stringify(keys)).not.toContain(stack.demo.secretKey.secret);
  });

  it("lets the seeded admin sign in, and refuses a wrong password", async () => {
    expect(await new SessionClient(stack.webUrl).signIn(stack.admin.email, stack.admin.password)).toBe(true);
    expect(await new SessionClient(stack.webUrl).signIn(stack.admin.email, "wrong-password")).toBe(false);
  });

  it("signs up a new customer with their own tenant, who can then sign in", async () => {
    const client = new SessionClient(stack.webUrl);
    const email = `new-${Date.now()}@example.com`;
    const created = await client.json<{ user: { email: string }; tenant: { id: string } }>("/api/auth/sign-up", {
      method: "POST",
      body: JSON.stringify({ email, password: "a-good-password" }),
    });
    expect(created.status).toBe(201);
    const membership = await stack.db.membership.findFirst({ where: { user: { email } }, select: { role: true, tenantId: true } });
    expect(membership).toEqual({ role: "owner", tenantId: created.body.tenant.id });
    expect(await client.signIn(email, "a-good-password")).toBe(true);
    const page = await client.fetch("/apps");
    expect(page.status).toBe(200);
  });

  it("refuses a duplicate or invalid sign-up with the field named", async () => {
    const client = new SessionClient(stack.webUrl);
    const duplicate = await client.json<{ error: string; field: string }>("/api/auth/sign-up", {
      method: "POST",
      body: JSON.stringify({ email: stack.admin.email, password: "another-password" }),
    });
    expect(duplicate).toMatchObject({ status: 409, body: { error: "conflict", field: "email" } });
    const short = await client.json<{ field: string }>("/api/auth/sign-up", {
      method: "POST",
      body: JSON.stringify({ email: "short@example.com", password: "123" }),
    });
    expect(short).toMatchObject({ status: 422, body: { field: "password" } });
    const garbage = await client.json<{ error: string }>("/api/auth/sign-up", { method: "POST", body: "{not json" });
    expect(garbage).toMatchObject({ status: 400, body: { error: "invalid_request" } });
  });

  it("sends signed-out visitors to the sign-in page", async () => {
    const response = await new SessionClient(stack.webUrl).fetch("/apps");
    expect(response.status).toBeGreaterThanOrEqual(300);
    expect(response.status).toBeLessThan(400);
    expect(response.headers.get("location")).toContain("/sign-in");
  });

  it("rate-limits sign-in attempts per email", async () => {
    const email = `target-${Date.now()}@example.com`;
    const outcomes: boolean[] = [];
    for (let attempt = 0; attempt < 11; attempt++) outcomes.push(await new SessionClient(stack.webUrl).signIn(email, "guess"));
    expect(outcomes.every((ok) => !ok)).toBe(true);
    const csrfClient = new SessionClient(stack.webUrl);
    const csrf = await csrfClient.json<{ csrfToken: string }>("/api/auth/csrf");
    const limited = await csrfClient.fetch("/api/auth/callback/credentials", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrfToken: csrf.body.csrfToken, email, password: "guess", json: "true" }).toString(),
    });
    const body = (await limited.json()) as { url?: string };
    expect(decodeURIComponent(body.url ?? "")).toContain("Too many sign-in attempts");
  });

  it("reports the relay healthy", async () => {
    const response = await fetch(`${stack.relayInternalUrl}/healthz`);
    expect(response.status).toBe(200);
  });
});
