// Bounded inputs (docs/security.md): every dashboard body is read under the 32 KB cap (413
// payload_too_large, whether or not a Content-Length announces it), a key's origins and patterns have a
// maximum length (422 naming the field), and a team's keys a budget in the relay snapshot (409).
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Limits } from "@tollgate/relay/protocol";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as createKeyRoute } from "@/app/api/apps/[appId]/keys/route";
import type { SessionUser } from "@/lib/auth/authenticate";
import { KeyFieldLimits } from "@/lib/keys/key.types";
import { TenantKeyBudget } from "@/lib/keys/tenant-key-budget";
import { createVictim, discoverRoutes, handlersOf, paramsFor, protectionOf, PUBLIC_ROUTES, SAME_SITE_PUBLIC_ROUTES, type Method } from "@/tests/helpers/app-routes";
import { createTestApp, createUser } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

let harness: RouteHarness;
beforeAll(async () => {
  harness = await startRouteHarness();
});
afterAll(async () => harness?.stop());

const NEXT_AUTH = "/api/auth/[...nextauth]";

/** The dashboard's routes: signed-in, admin and same-site public ones, and next-auth's sign-in (not /v1, not the relay's). */
const dashboardRoutes = discoverRoutes().filter((route) => {
  const protection = protectionOf(route.urlPath);
  if (route.urlPath in PUBLIC_ROUTES) return route.urlPath === NEXT_AUTH;
  return route.urlPath in SAME_SITE_PUBLIC_ROUTES || protection === "session" || protection === "admin";
});

/** Whether the route file's handler for `method` reads a body (the readJson family, the only way it can). */
function handlerReadsBody(file: string, method: Method): boolean {
  const source = readFileSync(file, "utf8");
  const start = source.search(new RegExp(`^export (const ${method} =|async function ${method}\\()`, "m"));
  if (start < 0) return false;
  const rest = source.slice(start + 1);
  const next = rest.search(/^export (const [A-Z]+ =|async function [A-Z]+\()/m);
  return /read(Optional)?Json\(|readCappedText\(/.test(next < 0 ? rest : rest.slice(0, next));
}

const JSON_HEADERS = { "content-type": "application/json", origin: "http://localhost" };
const oversized = JSON.stringify({ name: "x".repeat(Limits.maxRestBodyBytes) });

describe("the dashboard's body cap", () => {
  it("covers routes that read bodies (the suite below is not empty)", () => {
    const reading = dashboardRoutes.filter((route) => /read(Optional)?Json\(/.test(readFileSync(route.file, "utf8")));
    expect(reading.length).toBeGreaterThan(20);
  });

  it.each(dashboardRoutes.map((route) => [route.urlPath, route] as const))("%s: a body over 32 KB is 413 with or without a Content-Length, never 500", async (_path, route) => {
    const victim = await createVictim(harness.db);
    const params = paramsFor(route, victim);
    const user = protectionOf(route.urlPath) === "admin" ? victim.admin : victim.owner;
    let address = 0;
    for (const [method, handler] of await handlersOf(route)) {
      if (method === "GET") continue;
      const call = (headers: Record<string, string>) => {
        session.user = route.urlPath in SAME_SITE_PUBLIC_ROUTES || route.urlPath === NEXT_AUTH ? null : user;
        address += 1;
        return invoke(handler, { method, path: route.urlPath, params, body: oversized, headers: { ...JSON_HEADERS, "x-tollgate-peer-address": `203.0.113.${address}`, ...headers } });
      };
      // Announced: refused by the wrapper before the session is looked up or the body read.
      const announced = await call({ "content-length": String(Buffer.byteLength(oversized)) });
      expect(announced.status, `${method} ${route.urlPath}`).toBe(413);
      expect(announced.body).toMatchObject({ error: "payload_too_large", message: `The request body is over ${Limits.maxRestBodyBytes} bytes` });
      // Unannounced: counted while read, by every handler that reads a body.
      const unannounced = await call({});
      expect(unannounced.status, `${method} ${route.urlPath}: ${JSON.stringify(unannounced.body)}`).toBeLessThan(500);
      if (handlerReadsBody(route.file, method)) {
        expect(unannounced.status, `${method} ${route.urlPath}`).toBe(413);
        expect(unannounced.body).toMatchObject({ error: "payload_too_large" });
      }
    }
  }, 60_000);

  it("an endless body without a Content-Length is read no further than the cap", async () => {
    const user = await createUser(harness.db);
    session.user = user;
    const app = await createTestApp(harness.db, { tenantId: user.tenantId });
    let sent = 0;
    const chunk = new TextEncoder().encode(`"${"x".repeat(16 * 1024 - 2)}",`);
    const endless = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"kind":"publishable","name":"k","allowedOrigins":['));
      },
      pull(controller) {
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const req = new NextRequest(`http://localhost/api/apps/${app.id}/keys`, { method: "POST", headers: JSON_HEADERS, body: endless, duplex: "half" } as NonNullable<ConstructorParameters<typeof NextRequest>[1]>);
    const res = await createKeyRoute(req, { params: Promise.resolve({ appId: app.id }) as Promise<never> });
    expect(res.status).toBe(413);
    expect(sent).toBeLessThan(Limits.maxRestBodyBytes + 4 * chunk.byteLength);
  });
});

describe("a key's origins and patterns", () => {
  async function appOfNewUser() {
    const user = await createUser(harness.db);
    session.user = user;
    return createTestApp(harness.db, { tenantId: user.tenantId });
  }
  const create = (appId: string, body: unknown, headers: Record<string, string> = {}) =>
    invoke(createKeyRoute, { method: "POST", params: { appId }, body: typeof body === "string" ? body : JSON.stringify(body), headers: { ...JSON_HEADERS, ...headers } });

  it("an 8 MB origin is refused with 413 before it is parsed, announced or not; no key is made", async () => {
    const app = await appOfNewUser();
    const body = JSON.stringify({ kind: "publishable", name: "web", allowedOrigins: [`https://${"a".repeat(8 * 1024 * 1024)}.example`] });
    const announced = await create(app.id, body, { "content-length": String(Buffer.byteLength(body)) });
    const unannounced = await create(app.id, body);
    for (const res of [announced, unannounced]) {
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ error: "payload_too_large" });
    }
    expect(await harness.db.apiKey.count({ where: { appId: app.id } })).toBe(0);
  });

  it(`an origin of ${KeyFieldLimits.originChars} characters is accepted, one more is 422 on allowedOrigins`, async () => {
    const app = await appOfNewUser();
    const originOf = (chars: number) => `https://${"a".repeat(chars - "https://".length - ".example".length)}.example`;
    const longest = await create(app.id, { kind: "publishable", name: "web", allowedOrigins: [originOf(KeyFieldLimits.originChars)] });
    expect(longest.status).toBe(201);
    const tooLong = await create(app.id, { kind: "publishable", name: "web", allowedOrigins: ["https://ok.example", originOf(KeyFieldLimits.originChars + 1)] });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body).toMatchObject({ error: "invalid_request", field: "allowedOrigins.1", message: `At most ${KeyFieldLimits.originChars} characters` });
  });

  it(`a channel pattern over ${Limits.maxChannelNameBytes} bytes is 422 on channelPatterns, in characters or in UTF-8 bytes`, async () => {
    const app = await appOfNewUser();
    for (const pattern of ["c".repeat(Limits.maxChannelNameBytes + 1), "é".repeat(Limits.maxChannelNameBytes / 2 + 1)]) {
      const res = await create(app.id, { kind: "secret", name: "k", channelPatterns: [pattern] });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ field: "channelPatterns.0", message: `At most ${Limits.maxChannelNameBytes} bytes` });
    }
    expect((await create(app.id, { kind: "secret", name: "k", channelPatterns: ["c".repeat(Limits.maxChannelNameBytes)] })).status).toBe(201);
  });
});

describe("the team's key budget over HTTP", () => {
  it("a key past the team's pattern-and-origin bytes is 409 limit_exceeded naming the budget; nothing is written", async () => {
    const user = await createUser(harness.db);
    session.user = user;
    const [app, otherApp] = await Promise.all([createTestApp(harness.db, { tenantId: user.tenantId }), createTestApp(harness.db, { tenantId: user.tenantId })]);
    // A revoked key of another app of the team, with as many pattern bytes as the budget allows less 20.
    const fillerBytes = TenantKeyBudget.maxRuleBytes - 20;
    const filler = Array.from({ length: Math.ceil(fillerBytes / 256) }, (_, i) => "p".repeat(Math.min(256, fillerBytes - i * 256)));
    await harness.db.apiKey.create({
      data: { id: `pk_live_${randomUUID()}`, appId: otherApp.id, kind: "publishable", name: "old", channelPatterns: filler, actions: ["subscribe"], allowedOrigins: [], revokedAt: new Date() },
    });
    const over = await invoke(createKeyRoute, { method: "POST", params: { appId: app.id }, body: { kind: "publishable", name: "web", allowedOrigins: ["https://a-long-name.example"] } });
    expect(over.status).toBe(409);
    expect(over.body).toMatchObject({ error: "limit_exceeded", message: expect.stringMatching(/channel patterns and allowed origins of your team's keys .* at most 256 KB/) });
    expect(await harness.db.apiKey.count({ where: { appId: app.id } })).toBe(0);
    const within = await invoke(createKeyRoute, { method: "POST", params: { appId: app.id }, body: { kind: "publishable", name: "web", allowedOrigins: ["https://a.example"] } });
    expect(within.status).toBe(201);
  });
});
