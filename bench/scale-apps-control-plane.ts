// The control plane's relay routes (app states, change feed, usage, recharge) in a process of their own,
// for `npm run bench:scale-apps`: the route handlers are the web app's own, called as Next calls them
// (a NextRequest in, a Response out) behind a plain HTTP server, so the benchmark reads this process's CPU
// apart from its clients' and the relays'. Next's router and page machinery are not in it. Reads the web
// app's environment (DATABASE_URL, RELAY_SECRET, KEY_ENCRYPTION_KEY, …) and prints `{"port":N}` when ready.
// `GET /bench/requests` answers how many requests each route has taken, so a figure can be read per request.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ControlPlanePath } from "@tollgate/relay/protocol";
import { NextRequest } from "next/server";
import { POST as appStates } from "@/app/api/internal/relay/app-states/route";
import { GET as changes } from "@/app/api/internal/relay/changes/route";
import { POST as recharge } from "@/app/api/internal/relay/recharge/route";
import { POST as usage } from "@/app/api/internal/relay/usage/route";

type Handler = (req: NextRequest) => Promise<Response>;

const routes = new Map<string, Handler>([
  [`POST ${ControlPlanePath.appStates}`, appStates],
  [`GET ${ControlPlanePath.changes}`, changes],
  [`POST ${ControlPlanePath.usage}`, usage],
  [`POST ${ControlPlanePath.recharge}`, recharge],
]);

const requests: Record<string, number> = {};

const server = createServer((req, res) => {
  if (req.url === "/bench/requests") return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(requests));
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const route = `${req.method ?? "GET"} ${url.pathname}`;
    const handler = routes.get(route);
    if (!handler) return void res.writeHead(404).end();
    requests[route] = (requests[route] ?? 0) + 1;
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
    const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
    handler(new NextRequest(url, { method: req.method, headers, body }))
      .then(async (response) => {
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      })
      .catch((error: unknown) => {
        process.stderr.write(`route failed: ${error instanceof Error ? error.stack : String(error)}\n`);
        res.writeHead(500).end();
      });
  });
});
server.keepAliveTimeout = 75_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
