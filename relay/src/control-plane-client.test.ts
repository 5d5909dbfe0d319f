import { createServer } from "node:http";
import type { Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlPlaneClient } from "./control-plane-client";
import { ControlPlanePath } from "./protocol";

const SECRET = "relay-secret-0123456789abcdef0123456789";
let server: Server;
let baseUrl: string;
let answer: (res: ServerResponse, headers: Record<string, string | string[] | undefined>) => void = () => undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    if (req.headers.authorization !== `Bearer ${SECRET}`) return void res.writeHead(401).end();
    answer(res, req.headers);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const client = () => new ControlPlaneClient({ baseUrl, relaySecret: SECRET, timeoutMs: 5_000 });
const snapshot = { version: "v1", generatedAtUnixMs: 1, apps: [] };

describe("ControlPlaneClient", () => {
  it("sends the secret and the ETag, and answers notModified on 304", async () => {
    let seen: string | undefined;
    answer = (res, headers) => {
      seen = headers["if-none-match"] as string | undefined;
      if (seen === '"v1"') return void res.writeHead(304).end();
      res.writeHead(200, { "content-type": "application/json", etag: '"v1"' }).end(JSON.stringify(snapshot));
    };
    expect(await client().snapshot(null)).toEqual({ ok: true, notModified: false, snapshot, etag: '"v1"' });
    expect(await client().snapshot('"v1"')).toEqual({ ok: true, notModified: true });
    expect(seen).toBe('"v1"');
  });

  it("types every failure: a status, a body off the contract, no answer in time", async () => {
    answer = (res) => void res.writeHead(503).end("busy");
    expect(await client().snapshot(null)).toEqual({ ok: false, kind: "status", status: 503 });
    answer = (res) => void res.writeHead(200, { "content-type": "application/json" }).end('{"applied":"yes"}');
    expect(await client().postUsage({ batchId: "ub_12345678", relayId: "n", sentAtUnixMs: 1, apps: [] })).toMatchObject({ ok: false, kind: "contract" });
    answer = (res) => void res.writeHead(200, { "content-type": "application/json" }).end("not json");
    expect(await client().recharge("app_a", "message", 5_000)).toMatchObject({ ok: false, kind: "unreachable" });
    answer = () => undefined;
    const started = Date.now();
    expect(await client().recharge("app_a", "message", 200)).toMatchObject({ ok: false, kind: "unreachable" });
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it("parses a recharge answer", async () => {
    answer = (res) => void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ recharged: true, balanceMinor: 500, asOfUnixMs: 7 }));
    expect(await client().recharge("app_a", "connection", 5_000)).toEqual({ ok: true, value: { recharged: true, balanceMinor: 500, asOfUnixMs: 7 } });
    expect(ControlPlanePath.recharge).toBe("/api/internal/relay/recharge");
  });
});
