// One webhook attempt against real listeners on 127.0.0.1: which targets it reaches, what address it
// connects to, and what the tenant is told when it fails.
import http from "node:http";
import type { AddressInfo } from "node:net";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptSecret } from "@/lib/keys/key-material";
import { type AllowedTargets, NO_ALLOWED_TARGETS, parseAllowedTargets } from "@/lib/net/allowed-targets";
import type { ResolveHost } from "@/lib/net/target-policy";
import { TEST_ENCRYPTION_KEY } from "@/tests/helpers/fixtures";
import { startWebhookSink, type WebhookSink } from "@/tests/helpers/webhook-sink";
import { attemptWebhook, type WebhookAttemptConfig } from "./send-webhook";
import { WebhookHeader } from "./sign-webhook";

let sink: WebhookSink;
let port: string;
const LOOPBACK = parseAllowedTargets("127.0.0.1");
const event = { id: "evt_test", appId: "app_test", type: "webhook.test", severity: "info", title: "Test", message: "A test event", data: {}, createdAt: new Date() };

beforeAll(async () => {
  sink = await startWebhookSink();
  port = new URL(sink.url).port;
});
afterAll(async () => sink?.stop());

/** A resolver for names no DNS server knows, and a count of the questions it was asked. */
function fakeDns(answers: Record<string, string[]>): ResolveHost & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (host: string) => {
    asked.push(host);
    const addresses = answers[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return Object.assign(resolve, { asked });
}

function attempt(url: string, options: { allowed?: AllowedTargets; resolveHost?: ResolveHost; timeoutMs?: number } = {}) {
  const config: WebhookAttemptConfig = {
    encryptionKey: TEST_ENCRYPTION_KEY,
    webhookTimeoutMs: options.timeoutMs ?? 5_000,
    allowedWebhookTargets: options.allowed ?? NO_ALLOWED_TARGETS,
    resolveWebhookHost: options.resolveHost,
  };
  const eventId = `evt_${Math.random().toString(36).slice(2)}`;
  const endpoint = { id: "whk_test", url, secretCiphertext: encryptSecret("whsec_test", TEST_ENCRYPTION_KEY) };
  return { eventId, result: attemptWebhook(config, endpoint, { ...event, id: eventId }) };
}

const received = (eventId: string) => sink.requests.filter((request) => request.headers[WebhookHeader.eventId] === eventId);

/** Every spelling of the loopback address the issue tried, all normalised by the URL parser to one forbidden address. */
const loopbackSpellings = () => [
  `http://127.0.0.1:${port}/hooks`,
  `http://127.1:${port}/hooks`,
  `http://2130706433:${port}/hooks`,
  `http://0x7f000001:${port}/hooks`,
  `http://0177.0.0.1:${port}/hooks`,
  `http://[::ffff:127.0.0.1]:${port}/hooks`,
  `http://[::ffff:7f00:1]:${port}/hooks`,
];

describe("targets", () => {
  it("refuses every numeric spelling of loopback by default, and the listener gets nothing", async () => {
    for (const url of loopbackSpellings()) {
      const { eventId, result } = attempt(url);
      expect(await result, url).toEqual({ ok: false, error: "address not allowed" });
      expect(received(eventId), url).toHaveLength(0);
    }
  });

  it("delivers to every spelling once the operator allows 127.0.0.1", async () => {
    for (const url of loopbackSpellings()) {
      const { eventId, result } = attempt(url, { allowed: LOOPBACK });
      expect(await result, url).toEqual({ ok: true, responseStatus: 200 });
      expect(received(eventId), url).toHaveLength(1);
    }
  });

  it("refuses a name that resolves to loopback, even when a second answer is public", async () => {
    const dns = fakeDns({ "hooks.customer.test": ["127.0.0.1"], "mixed.customer.test": ["93.184.216.34", "127.0.0.1"] });
    for (const host of ["hooks.customer.test", "mixed.customer.test"]) {
      const { eventId, result } = attempt(`http://${host}:${port}/hooks`, { resolveHost: dns });
      expect(await result, host).toEqual({ ok: false, error: "address not allowed" });
      expect(received(eventId)).toHaveLength(0);
    }
  });

  it("refuses localhost with the system's own resolver, even with 127.0.0.1 allowed (only the name itself opens it)", async () => {
    for (const url of [`http://localhost:${port}/hooks`, `http://LOCALHOST.:${port}/hooks`]) {
      const { eventId, result } = attempt(url, { allowed: LOOPBACK });
      expect(await result, url).toEqual({ ok: false, error: "address not allowed" });
      expect(received(eventId)).toHaveLength(0);
    }
    const { eventId, result } = attempt(`http://localhost:${port}/hooks`, { allowed: parseAllowedTargets("localhost") });
    expect(await result).toEqual({ ok: true, responseStatus: 200 });
    expect(received(eventId)).toHaveLength(1);
  });

  it("resolves an allowed name once and connects to that address, keeping the name in the Host header", async () => {
    // No DNS server knows this name: a second lookup by the HTTP client would fail the delivery.
    const dns = fakeDns({ "hooks.customer.test": ["127.0.0.1"] });
    const { eventId, result } = attempt(`http://hooks.customer.test:${port}/hooks`, { allowed: LOOPBACK, resolveHost: dns });
    expect(await result).toEqual({ ok: true, responseStatus: 200 });
    expect(dns.asked).toEqual(["hooks.customer.test"]);
    expect(received(eventId).map((request) => request.headers.host)).toEqual([`hooks.customer.test:${port}`]);
  });
});

describe("what a failed attempt tells the tenant", () => {
  let silent: http.Server;
  let hangingUp: http.Server;
  let tlsWithoutCertificate: tls.Server;
  const serverNamesSeen: string[] = [];
  let closedPort: number;

  const listen = async (server: http.Server | tls.Server) => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return (server.address() as AddressInfo).port;
  };

  beforeAll(async () => {
    silent = http.createServer(() => {});
    hangingUp = http.createServer((req) => req.socket.destroy());
    // Records the name the client asks for (SNI), then fails the handshake: it has no certificate.
    tlsWithoutCertificate = tls.createServer({
      SNICallback: (serverName, callback) => {
        serverNamesSeen.push(serverName);
        callback(new Error("no certificate"));
      },
    });
    tlsWithoutCertificate.on("tlsClientError", () => {});
    await Promise.all([listen(silent), listen(hangingUp), listen(tlsWithoutCertificate)]);
    const closed = http.createServer();
    closedPort = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
  });
  afterAll(async () => {
    silent.closeAllConnections();
    await Promise.all([silent, hangingUp, tlsWithoutCertificate].map((server) => new Promise((resolve) => server.close(resolve))));
  });

  const portOf = (server: http.Server | tls.Server) => (server.address() as AddressInfo).port;

  it("a status, and no redirect followed", async () => {
    sink.respondWith([302]);
    const { eventId, result } = attempt(`http://127.0.0.1:${port}/hooks`, { allowed: LOOPBACK });
    expect(await result).toEqual({ ok: false, responseStatus: 302, error: "HTTP 302" });
    expect(received(eventId)).toHaveLength(1);
    sink.respondWith([200]);
  });

  it("a timeout with its length", async () => {
    const { result } = attempt(`http://127.0.0.1:${portOf(silent)}/hooks`, { allowed: LOOPBACK, timeoutMs: 300 });
    expect(await result).toEqual({ ok: false, error: "timed out after 300 ms" });
  });

  it("a timeout while resolving", async () => {
    const slowDns: ResolveHost = () => new Promise(() => {});
    const { result } = attempt(`http://slow.customer.test:${port}/hooks`, { resolveHost: slowDns, timeoutMs: 200 });
    expect(await result).toEqual({ ok: false, error: "timed out after 200 ms" });
  });

  it("'could not connect' for a closed port, without the address or the system's error", async () => {
    const { result } = attempt(`http://127.0.0.1:${closedPort}/hooks`, { allowed: LOOPBACK });
    expect(await result).toEqual({ ok: false, error: "could not connect" });
  });

  it("'connection closed without a response' when the server hangs up", async () => {
    const { result } = attempt(`http://127.0.0.1:${portOf(hangingUp)}/hooks`, { allowed: LOOPBACK });
    expect(await result).toEqual({ ok: false, error: "connection closed without a response" });
  });

  it("'DNS lookup failed' for a name that does not resolve", async () => {
    const { result } = attempt(`http://nowhere.customer.test:${port}/hooks`, { resolveHost: fakeDns({}) });
    expect(await result).toEqual({ ok: false, error: "DNS lookup failed" });
  });

  it("'TLS handshake failed' for a server without TLS, or one whose handshake fails; the handshake names the endpoint's host (SNI), not the pinned address", async () => {
    const plain = attempt(`https://127.0.0.1:${port}/hooks`, { allowed: LOOPBACK });
    expect(await plain.result).toEqual({ ok: false, error: "TLS handshake failed" });
    const dns = fakeDns({ "hooks.customer.test": ["127.0.0.1"] });
    const named = attempt(`https://hooks.customer.test:${portOf(tlsWithoutCertificate)}/hooks`, { allowed: LOOPBACK, resolveHost: dns });
    expect(await named.result).toEqual({ ok: false, error: "TLS handshake failed" });
    expect(serverNamesSeen).toEqual(["hooks.customer.test"]);
  });
});
