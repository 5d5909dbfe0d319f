// The control plane's defences on the real stack (docs/security.md), read from the running web server:
// security headers, no-store on authenticated JSON, the cross-site and JSON rules over real HTTP, 400
// for malformed percent-encoding, sign-in throttling by the TRUSTED_PROXIES rule, and webhooks kept out of
// the operator's network (no WEBHOOK_ALLOWED_TARGETS, as `npm start` runs). The stack runs with
// TRUSTED_PROXIES=127.0.0.1 so each test can speak for many client addresses through X-Forwarded-For,
// the way a load balancer would.
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptSecret } from "@/lib/keys/key-material";
import { SessionClient } from "./helpers/session-client";
import { startStack, type Stack } from "./helpers/stack";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { TRUSTED_PROXIES: "127.0.0.1,::1" } });
}, 240_000);
afterAll(async () => stack?.stop());

interface SignInOutcome {
  ok: boolean;
  error: string | null;
  ms: number;
}

/** One credentials sign-in as a browser behind the proxy at `forwardedFor` would make it. */
async function signInFrom(forwardedFor: string, email: string, password: string): Promise<SignInOutcome> {
  const csrf = await fetch(`${stack.webUrl}/api/auth/csrf`, { headers: { "x-forwarded-for": forwardedFor } });
  const cookie = csrf.headers.getSetCookie().map((line) => line.split(";")[0]).join("; ");
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const started = performance.now();
  const response = await fetch(`${stack.webUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie, "x-forwarded-for": forwardedFor },
    body: new URLSearchParams({ csrfToken, email, password, json: "true" }).toString(),
  });
  const ms = performance.now() - started;
  const body = (await response.json().catch(() => ({}))) as { url?: string };
  const error = body.url ? new URL(body.url).searchParams.get("error") : null;
  const ok = response.headers.getSetCookie().some((line) => line.includes("next-auth.session-token="));
  return { ok, error, ms };
}

/** A fresh customer account (sign-up is public; a client without Origin is no browser). */
async function newAccount(): Promise<{ email: string; password: string }> {
  const account = { email: `sec-${randomUUID()}@test.local`, password: "a-good-password" };
  const response = await fetch(`${stack.webUrl}/api/auth/sign-up`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(account) });
  expect(response.status).toBe(201);
  await response.arrayBuffer();
  return account;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

describe("security headers", () => {
  it("every page and API answer carries CSP with frame-ancestors 'none', X-Frame-Options, nosniff and Referrer-Policy", async () => {
    for (const path of ["/sign-in", "/api/health", "/apps", "/v1/openapi.json"]) {
      const response = await fetch(`${stack.webUrl}${path}`, { redirect: "manual" });
      await response.arrayBuffer();
      const csp = response.headers.get("content-security-policy") ?? "";
      expect(csp, path).toContain("frame-ancestors 'none'");
      // A page may load its own resources; an API answer is not a document and may load nothing.
      if (path.startsWith("/api/") || path.startsWith("/v1/")) expect(csp, path).toContain("default-src 'none'");
      else {
        expect(csp, path).toContain("default-src 'self'");
        expect(csp).toContain("object-src 'none'");
      }
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    }
  });

  it("a page allows only its own scripts: a fresh nonce per answer on every <script>, no 'unsafe-inline', WebSockets only to the relay", async () => {
    const nonces = new Set<string>();
    for (const path of ["/sign-in", "/sign-in", "/sign-up", "/no-such-page"]) {
      const response = await fetch(`${stack.webUrl}${path}`, { redirect: "manual" });
      const html = await response.text();
      const csp = response.headers.get("content-security-policy") ?? "";
      const scriptSrc = csp.split(";").map((directive) => directive.trim()).find((directive) => directive.startsWith("script-src")) ?? "";
      const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(scriptSrc)?.[1];
      expect(nonce, `${path}: ${csp}`).toBeDefined();
      expect(scriptSrc, path).not.toContain("'unsafe-inline'");
      expect(scriptSrc).toContain("'strict-dynamic'");
      nonces.add(nonce ?? "");
      const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
      expect(scripts.length, path).toBeGreaterThan(0);
      for (const tag of scripts) expect(tag, path).toContain(`nonce="${nonce}"`);
      const connectSrc = csp.split(";").map((directive) => directive.trim()).find((directive) => directive.startsWith("connect-src"));
      expect(connectSrc).toBe(`connect-src 'self' ${new URL(stack.relayUrl).origin}`);
    }
    expect(nonces.size).toBe(4);
  });

  it("authenticated JSON is Cache-Control: no-store", async () => {
    const account = await newAccount();
    const client = new SessionClient(stack.webUrl);
    expect(await client.signIn(account.email, account.password)).toBe(true);
    const response = await client.fetch("/api/apps");
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    expect(response.headers.get("cache-control")).toBe("no-store");
  });
});

describe("cross-site requests over real HTTP", () => {
  it("a signed-in user's browser cannot be made to write from another origin or with a form body; our own pages can", async () => {
    const account = await newAccount();
    const client = new SessionClient(stack.webUrl);
    expect(await client.signIn(account.email, account.password)).toBe(true);
    const otherPort = `http://127.0.0.1:${Number(new URL(stack.webUrl).port) + 1}`;
    const formPost = await client.fetch("/api/apps", { method: "POST", headers: { origin: otherPort, "content-type": "text/plain" }, body: JSON.stringify({ name: "csrf" }) });
    expect(formPost.status).toBe(403);
    expect(await formPost.json()).toMatchObject({ error: "cross_site_request" });
    const crossSite = await client.fetch("/api/apps", { method: "POST", headers: { "sec-fetch-site": "same-site", "content-type": "application/json" }, body: JSON.stringify({ name: "csrf" }) });
    expect(crossSite.status).toBe(403);
    await crossSite.arrayBuffer();
    const textBody = await client.fetch("/api/apps", { method: "POST", headers: { origin: stack.webUrl, "content-type": "text/plain" }, body: JSON.stringify({ name: "csrf" }) });
    expect(textBody.status).toBe(415);
    await textBody.arrayBuffer();
    const name = `own page ${randomUUID().slice(0, 6)}`;
    const own = await client.fetch("/api/apps", { method: "POST", headers: { origin: stack.webUrl, "sec-fetch-site": "same-origin", "content-type": "application/json" }, body: JSON.stringify({ name }) });
    expect(own.status).toBe(201);
    const { app } = (await own.json()) as { app: { id: string } };
    // A bodiless DELETE from our page (no Content-Type, no Content-Length) is a write without a body.
    const removed = await client.fetch(`/api/apps/${app.id}`, { method: "DELETE", headers: { origin: stack.webUrl, "sec-fetch-site": "same-origin" } });
    expect(removed.status).toBe(200);
    await removed.arrayBuffer();
    expect(await stack.db.app.count({ where: { name: "csrf" } })).toBe(0);
  });
});

describe("webhooks into the operator's network", () => {
  let listener: Server;
  let listenerHits = 0;
  let port: number;

  beforeAll(async () => {
    listener = createServer((req, res) => {
      listenerHits += 1;
      res.end();
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    port = (listener.address() as AddressInfo).port;
  });
  afterAll(async () => new Promise((resolve) => listener?.close(resolve)));

  it("every spelling of loopback is refused with 422 on url; an endpoint on localhost from before fails with 'address not allowed'; the listener gets nothing", async () => {
    const account = await newAccount();
    const client = new SessionClient(stack.webUrl);
    expect(await client.signIn(account.email, account.password)).toBe(true);
    const { body } = await client.json<{ app: { id: string } }>("/api/apps", { method: "POST", body: JSON.stringify({ name: "hooks" }) });
    const appId = body.app.id;
    for (const host of ["127.0.0.1", "localhost", "127.1", "2130706433", "0x7f000001", "[::ffff:127.0.0.1]"]) {
      const added = await client.json<{ field?: string; message?: string }>(`/api/apps/${appId}/webhooks`, { method: "POST", body: JSON.stringify({ url: `http://${host}:${port}/` }) });
      expect(added.status, host).toBe(422);
      expect(added.body.field, host).toBe("url");
      expect(added.body.message, host).toContain("WEBHOOK_ALLOWED_TARGETS");
    }
    // An endpoint stored before the policy existed: its deliveries are refused instead.
    const endpoint = await stack.db.webhookEndpoint.create({
      data: { id: `whk_${randomUUID()}`, appId, url: `http://localhost:${port}/`, secretCiphertext: encryptSecret("whsec_x", stack.secrets.KEY_ENCRYPTION_KEY), secretPrefix: "whsec_x" },
    });
    expect((await client.json(`/api/apps/${appId}/webhooks/${endpoint.id}/test`, { method: "POST" })).status).toBe(202);
    const deadline = Date.now() + 20_000;
    let lastError: string | null = null;
    while (lastError === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const log = await client.json<{ deliveries: { lastError: string | null }[] }>(`/api/apps/${appId}/webhooks/${endpoint.id}/deliveries`);
      lastError = log.body.deliveries[0]?.lastError ?? null;
    }
    expect(lastError).toBe("address not allowed");
    expect(listenerHits).toBe(0);
  }, 60_000);
});

describe("malformed percent-encoding in the path", () => {
  it("is 400 invalid_request naming the path, never 500", async () => {
    for (const path of ["/api/apps/%E0%A4%A", "/v1/channels/%E0%A4%A/publish", "/apps/%E0%A4%A", "/api/apps/%ZZ/keys"]) {
      const response = await fetch(`${stack.webUrl}${path}`, { method: path.endsWith("publish") ? "POST" : "GET" });
      expect(response.status, path).toBe(400);
      expect(await response.json()).toMatchObject({ error: "invalid_request", field: "path" });
    }
  });
});

describe("bodies over the 32 KB cap over real HTTP", () => {
  it("an 8 MB allowed origin is 413 announced or chunked, and so is an oversized sign-in form; no key is made", async () => {
    const account = await newAccount();
    const client = new SessionClient(stack.webUrl);
    expect(await client.signIn(account.email, account.password)).toBe(true);
    const created = await client.json<{ app: { id: string } }>("/api/apps", { method: "POST", body: JSON.stringify({ name: "bounded inputs" }) });
    expect(created.status).toBe(201);
    const keysPath = `/api/apps/${created.body.app.id}/keys`;
    const body = JSON.stringify({ kind: "publishable", name: "web", allowedOrigins: [`https://${"a".repeat(8 * 1024 * 1024)}.example`] });
    const announced = await client.fetch(keysPath, { method: "POST", headers: { "content-type": "application/json" }, body });
    const chunked = await client.fetch(keysPath, { method: "POST", headers: { "content-type": "application/json" }, body: new Blob([body]).stream(), duplex: "half" } as RequestInit);
    for (const response of [announced, chunked]) {
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ error: "payload_too_large" });
    }
    expect(await stack.db.apiKey.count({ where: { appId: created.body.app.id } })).toBe(0);
    const form = await fetch(`${stack.webUrl}/api/auth/callback/credentials`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email: account.email, password: "x".repeat(1024 * 1024) }).toString(),
    });
    expect(form.status).toBe(413);
    await form.arrayBuffer();
  });
});

/** A connection from `localAddress` that sends the start of a request and then nothing (slowloris). */
function stalledRequest(localAddress: string): Promise<{ socket: Socket; answer: Promise<string> }> {
  const { hostname, port } = new URL(stack.webUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), localAddress }, () => {
      socket.write(`GET /sign-in HTTP/1.1\r\nHost: ${hostname}\r\n`);
      let answer = "";
      socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
      resolve({ socket, answer: new Promise((done) => socket.once("close", () => done(answer))) });
    });
    socket.once("error", reject);
  });
}

describe("clients that never finish a request", () => {
  it("an address holds at most 256 unfinished requests; other addresses are served meanwhile", async () => {
    const stalled = await Promise.all(Array.from({ length: 260 }, () => stalledRequest("127.0.0.7")));
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(stalled.filter(({ socket }) => socket.readyState === "open")).toHaveLength(256);
      const other = await fetch(`${stack.webUrl}/api/health`);
      expect(other.status).toBe(200);
      await other.arrayBuffer();
    } finally {
      for (const { socket } of stalled) socket.destroy();
    }
  });

  it("a request whose headers are not in within 10 s is answered 408 and closed", async () => {
    const startedAt = Date.now();
    const { answer } = await stalledRequest("127.0.0.8");
    expect(await answer).toMatch(/^HTTP\/1\.1 408/);
    const waitedMs = Date.now() - startedAt;
    expect(waitedMs).toBeGreaterThan(9_000);
    expect(waitedMs).toBeLessThan(13_000);
  }, 30_000);
});

describe("sign-in throttling", () => {
  it("rotating the left of X-Forwarded-For does not escape the per-address limit; the proxy's right-most client address decides", async () => {
    const attacker = "203.0.113.50";
    const outcomes: SignInOutcome[] = [];
    for (let i = 0; i < 28; i++) outcomes.push(await signInFrom(`10.${i}.0.1, ${attacker}`, `nobody-${i}@test.local`, "wrong-password"));
    // 20 free failures, then backoff: 1 s, 2 s, 4 s … after each further failure (attempts take ~0.5 s).
    expect(outcomes.slice(0, 21).every((o) => !o.ok && o.error === "CredentialsSignin")).toBe(true);
    const throttled = outcomes.slice(21).filter((o) => o.error?.includes("Too many sign-in attempts"));
    expect(throttled.length).toBeGreaterThanOrEqual(4);
    // The same attacker's guess at a real password is refused unchecked while it waits.
    const guess = await signInFrom(attacker, stack.admin.email, stack.admin.password);
    expect(guess.ok).toBe(false);
    expect(guess.error).toContain("Too many sign-in attempts");
    expect((await signInFrom("198.51.100.77", `nobody-0@test.local`, "wrong-password")).error).toBe("CredentialsSignin");
  }, 90_000);

  it("an attacker hammering the admin's account from many addresses never locks the admin out from their own address", async () => {
    for (let i = 0; i < 30; i++) expect((await signInFrom(`203.0.113.${100 + i}`, stack.admin.email, "guess")).ok).toBe(false);
    const lockedAttacker = await signInFrom("203.0.113.129", stack.admin.email, "guess");
    expect(lockedAttacker.error).toContain("Too many sign-in attempts");
    const admin = await signInFrom("192.0.2.10", stack.admin.email, stack.admin.password);
    expect(admin.ok).toBe(true);
  }, 90_000);

  it("takes as long for an unknown account as for a wrong password on a real one", async () => {
    const account = await newAccount();
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      known.push((await signInFrom(`192.0.2.${50 + i}`, account.email, "wrong-password")).ms);
      unknown.push((await signInFrom(`192.0.2.${60 + i}`, `ghost-${randomUUID()}@test.local`, "wrong-password")).ms);
    }
    // One bcrypt comparison each way; without the dummy hash an unknown account answered ~20× faster.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
    expect(median(unknown)).toBeLessThan(median(known) * 2);
  }, 90_000);
});
