// The web app's HTTP server (what `npm start` runs instead of `next start`): Next's own handler behind
// what only a server that sees the socket can do (docs/security.md):
// - it writes the socket's peer address into x-tollgate-peer-address on every request, replacing any
//   value a client sent, so rate limits can apply the TRUSTED_PROXIES rule (lib/http/client-address.ts);
// - it answers a path that is not valid percent-encoding with 400, where Next would fail with a 500
//   while decoding the route's params, before any route code could refuse it;
// - against slowloris, like the relay: each source address may hold 256 connections that have not sent
//   a whole request, all addresses together a quarter of the open-file limit (past it, the oldest of the
//   address holding the most is closed), and a request whose headers are not in within 10 s is answered 408.
// Production runs it compiled (server/build.mjs → server/dist/web-server.mjs); `--dev` runs it through tsx.
//   node server/dist/web-server.mjs [--dev]      listens on PORT (default 3000), all interfaces, like `next start`
import { existsSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";
import { parseTrustedProxies } from "@tollgate/relay/enforcement/ip-limiter";
import { DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_MAX_PENDING_REQUESTS_PER_IP, PendingRequests, headersTimeoutOptions } from "@tollgate/relay/enforcement/pending-requests";
import { socketBudget } from "@tollgate/relay/enforcement/socket-budget";
import { PEER_ADDRESS_HEADER } from "@/lib/http/client-address";
import { runShutdownHooks } from "@/lib/shutdown-hooks";

/** The whole request (headers and body) must be in by then; bodies are small (lib/http/read-capped-body.ts). */
const REQUEST_TIMEOUT_MS = 60_000;

/** The project root: the nearest folder above this file (the source or its compiled copy) with next.config.js. */
function projectRoot(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "next.config.js"))) return dir;
    if (path.dirname(dir) === dir) throw new Error("next.config.js not found above the web server");
  }
}

const root = projectRoot();
const dev = process.argv.includes("--dev");
const port = Number(process.env.PORT ?? 3000);

/** The first path segment that is not valid percent-encoded UTF-8, or null. */
function malformedSegment(url: string | undefined): string | null {
  const pathname = (url ?? "/").split("?")[0] ?? "/";
  for (const segment of pathname.split("/")) {
    try {
      decodeURIComponent(segment);
    } catch {
      return segment;
    }
  }
  return null;
}

const app = next({ dev, dir: root, port });
await app.prepare();
const handle = app.getRequestHandler();
const pendingRequests = new PendingRequests(DEFAULT_MAX_PENDING_REQUESTS_PER_IP, parseTrustedProxies(process.env.TRUSTED_PROXIES ?? ""), socketBudget().maxPendingConnections);

const server = http.createServer({ ...headersTimeoutOptions(DEFAULT_HEADERS_TIMEOUT_MS), requestTimeout: REQUEST_TIMEOUT_MS }, (req, res) => {
  pendingRequests.settled(req.socket);
  req.headers[PEER_ADDRESS_HEADER] = req.socket.remoteAddress ?? "unknown";
  const segment = malformedSegment(req.url);
  if (segment !== null) {
    res.writeHead(400, { "content-type": "application/json", "cache-control": "no-store", "x-content-type-options": "nosniff" });
    res.end(JSON.stringify({ error: "invalid_request", message: `The path segment "${segment.slice(0, 100)}" is not valid percent-encoded UTF-8`, field: "path" }));
    return;
  }
  void handle(req, res);
});
server.on("connection", pendingRequests.onConnection);
if (dev) {
  const upgrade = app.getUpgradeHandler();
  server.on("upgrade", (req, socket, head) => {
    pendingRequests.settled(req.socket);
    void upgrade(req, socket, head);
  });
}
server.listen(port, () => console.log(`web server listening on port ${port}${dev ? " (dev)" : ""}`));

/** How long a stopping server waits for requests in flight and for the job runner to release its jobs. */
const SHUTDOWN_GRACE_MS = 8_000;

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS + 1_000).unref();
    const closed = new Promise((resolve) => server.close(resolve));
    // The job runner finishes or hands back its jobs: a job left locked would wait hours for another runner.
    void Promise.all([closed, runShutdownHooks(SHUTDOWN_GRACE_MS)]).then(() => process.exit(0));
  });
}
