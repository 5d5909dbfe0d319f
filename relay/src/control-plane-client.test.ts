import { createServer } from "node:http";
import type { Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlPlaneClient } from "./control-plane-client";
import { ControlPlanePath } from "./protocol";

const SECRET = "relay-secret-0123456789abcdef0123456789";
let server: Server;
let baseUrl: string;
let answer: (res: ServerResponse, headers: Record<string, string | string[] | undefined>, url: string) => void = () => undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    if (req.headers.authorization !== `Bearer ${SECRET}`) return void res.writeHead(401).end();
    answer(res, req.headers, req.url ?? "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const client = () => new ControlPlaneClient({ baseUrl, relaySecret: SECRET, timeoutMs: 5_000 });
const page = { cursor: "7:app_b", changes: [{ appId: "app_b", version: "7" }], more: true };

describe("ControlPlaneClient", () => {
  it("sends the secret and the feed cursor (escaped), and parses the page", async () => {
    let seen = "";
    answer = (res, _headers, url) => {
      seen = url;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(page));
    };
    expect(await client().changes("7:app_a")).toEqual({ ok: true, value: page });
    expect(seen).toBe(`${ControlPlanePath.changes}?since=7%3Aapp_a`);
    expect(await client().changes(null)).toEqual({ ok: true, value: page });
    expect(seen).toBe(ControlPlanePath.changes);
  });

  it("types every failure: a status, a body off the contract, no answer in time", async () => {
    answer = (res) => void res.writeHead(503).end("busy");
    expect(await client().appStates({ keyId: "pk_live_x" })).toEqual({ ok: false, kind: "status", status: 503 });
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
