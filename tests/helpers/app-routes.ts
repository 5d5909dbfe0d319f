// Every route handler under app/, found on disk, and a tenant whose ids fill their params: shared by
// the protection suite (tests/api/route-protection.test.ts) and the fuzz suite (tests/api/route-fuzz.test.ts),
// so a new route.ts is covered by both without anyone listing it.
import { randomUUID } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { NextRequest } from "next/server";
import type { Db } from "@/lib/db";
import { createApiKey } from "@/lib/keys/create-api-key";
import { createTestApp, createUser, TEST_ENCRYPTION_KEY, type TestUser } from "@/tests/helpers/fixtures";

export const appDir = path.resolve(import.meta.dirname, "..", "..", "app");
export const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type Method = (typeof METHODS)[number];
export type Handler = (req: NextRequest, context: { params: Promise<never> }) => Promise<Response> | Response;

export interface DiscoveredRoute {
  urlPath: string;
  file: string;
  params: string[];
}

export function discoverRoutes(dir: string = appDir, segments: string[] = []): DiscoveredRoute[] {
  const found: DiscoveredRoute[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) {
      // Route groups "(name)" do not appear in the URL.
      found.push(...discoverRoutes(full, /^\(.*\)$/.test(entry) ? segments : [...segments, entry]));
    } else if (entry === "route.ts") {
      const params = segments.flatMap((segment) => /^\[(?:\.\.\.)?(.+)\]$/.exec(segment)?.[1] ?? []);
      found.push({ urlPath: `/${segments.join("/")}`, file: full, params });
    }
  }
  return found;
}

/** Routes anyone may call, and why. Keep this short: everything else is protected by default. */
export const PUBLIC_ROUTES: Record<string, string> = {
  "/api/health": "liveness probe for load balancers; says only ok / database_unreachable",
  "/v1/openapi.json": "the public API's own documentation",
  "/api/auth/[...nextauth]": "next-auth's sign-in, sign-out and session endpoints, guarded by next-auth's CSRF token",
  "/api/stripe/webhook": "Stripe's servers call it: the Stripe-Signature header (HMAC of the body with STRIPE_WEBHOOK_SECRET) is the credential, 400 without it (tests/api/stripe.test.ts)",
};

/** Public, but only from our own pages: the cross-site and JSON rules apply, no session needed. */
export const SAME_SITE_PUBLIC_ROUTES: Record<string, string> = {
  "/api/auth/sign-up": "anyone may create an account, but another site must not do it in a visitor's name",
  "/api/auth/password-reset": "a signed-out user asks for a reset link; the answer is the same whether or not the account exists",
  "/api/auth/password-reset/confirm": "the reset link's single-use token is the credential",
};

export type Protection = "session" | "admin" | "api-key" | "relay-secret";

/** First match wins. A path under neither /api nor /v1 has no rule and fails the suite. */
const PROTECTION_BY_PREFIX: [string, Protection][] = [
  ["/api/internal/", "relay-secret"],
  ["/api/admin/", "admin"],
  ["/api/", "session"],
  ["/v1/", "api-key"],
];

export function protectionOf(urlPath: string): Protection | undefined {
  return PROTECTION_BY_PREFIX.find(([prefix]) => urlPath.startsWith(prefix))?.[1];
}

export async function handlersOf(route: DiscoveredRoute): Promise<[Method, Handler][]> {
  const module = (await import(route.file)) as Record<string, unknown>;
  return METHODS.flatMap((method) => (typeof module[method] === "function" ? [[method, module[method] as Handler] as [Method, Handler]] : []));
}

/** A tenant with one of everything a route param can name, plus a platform admin and an outsider. */
export interface Victim {
  owner: TestUser;
  admin: TestUser;
  outsider: TestUser;
  appId: string;
  keyId: string;
  /** `Authorization` for the /v1 API with the app's secret key. */
  apiKeyAuthorization: string;
  planId: string;
  endpointId: string;
  /** A settled delivery to that endpoint. */
  deliveryId: string;
  invoiceId: string;
  invitationId: string;
}

export async function createVictim(db: Db): Promise<Victim> {
  const [owner, admin, outsider] = await Promise.all([createUser(db), createUser(db, { admin: true }), createUser(db)]);
  const app = await createTestApp(db, { tenantId: owner.tenantId });
  const key = await createApiKey(db, { appId: app.id, kind: "secret", name: "victim key", encryptionKey: TEST_ENCRYPTION_KEY });
  const plan = await db.plan.findFirstOrThrow({ select: { id: true } });
  const endpoint = await db.webhookEndpoint.create({
    data: { id: `whe_${randomUUID()}`, appId: app.id, url: "http://127.0.0.1:9/hook", secretCiphertext: "unused", secretPrefix: "whsec_x" },
  });
  const now = new Date();
  const event = await db.appEvent.create({
    data: { id: `evt_${randomUUID()}`, appId: app.id, type: "balance.low", severity: "warning", title: "Balance low", message: "Balance low", dedupeKey: randomUUID() },
  });
  const delivery = await db.notificationDelivery.create({
    data: { eventId: event.id, tenantId: owner.tenantId, channel: "webhook", endpointId: endpoint.id, status: "failed", attempts: 1 },
  });
  const invoice = await db.invoice.create({
    data: {
      id: `inv_${randomUUID()}`,
      tenantId: owner.tenantId,
      number: `INV-${randomUUID()}`,
      periodStart: now,
      periodEnd: new Date(now.getTime() + 30 * 86_400_000),
      status: "open",
      issuedAt: now,
      dueAt: new Date(now.getTime() + 14 * 86_400_000),
      seller: {},
      buyer: {},
      lines: [],
      totalMinor: 0,
    },
  });
  const invitation = await db.invitation.create({
    data: { tenantId: owner.tenantId, email: `invited-${randomUUID()}@example.com`, tokenHash: randomUUID(), expiresAt: new Date(now.getTime() + 86_400_000) },
  });
  return {
    owner,
    admin,
    outsider,
    appId: app.id,
    keyId: key.id,
    apiKeyAuthorization: `Bearer ${key.id}:${key.secret}`,
    planId: plan.id,
    endpointId: endpoint.id,
    deliveryId: delivery.id,
    invoiceId: invoice.id,
    invitationId: invitation.id,
  };
}

/** Values for route params: the victim tenant's ids where a param names a tenant-owned thing. */
const PARAM_FIXTURES: Record<string, (victim: Victim) => string | string[]> = {
  appId: (victim) => victim.appId,
  keyId: (victim) => victim.keyId,
  planId: (victim) => victim.planId,
  tenantId: (victim) => victim.owner.tenantId,
  userId: (victim) => victim.owner.id,
  endpointId: (victim) => victim.endpointId,
  deliveryId: (victim) => victim.deliveryId,
  invoiceId: (victim) => victim.invoiceId,
  invitationId: (victim) => victim.invitationId,
  channel: () => "chat/room-1",
  peerId: () => "peer-1",
  nextauth: () => ["session"],
};

/** The route's params filled from the victim; throws for a param without a fixture (add one above). */
export function paramsFor(route: DiscoveredRoute, victim: Victim): Record<string, string> {
  const params: Record<string, string> = {};
  for (const name of route.params) {
    const fixture = PARAM_FIXTURES[name];
    if (!fixture) throw new Error(`${route.urlPath}: no fixture for param [${name}]: add one to PARAM_FIXTURES in tests/helpers/app-routes.ts`);
    params[name] = fixture(victim) as string;
  }
  return params;
}
