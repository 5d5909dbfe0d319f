#!/usr/bin/env node
// The web app's HTTP server (what `npm start` runs instead of `next start`): Next's own handler behind
// two things only a server that sees the socket can do (docs/security.md):
// - it writes the socket's peer address into x-tollgate-peer-address on every request, replacing any
//   value a client sent, so rate limits can apply the TRUSTED_PROXIES rule (lib/http/client-address.ts);
// - it answers a path that is not valid percent-encoding with 400, where Next would fail with a 500
//   while decoding the route's params, before any route code could refuse it.
//   node scripts/web-server.mjs [--dev]      listens on PORT (default 3000), all interfaces, like `next start`
import http from "node:http";
import path from "node:path";
import next from "next";

const root = path.resolve(import.meta.dirname, "..");
const dev = process.argv.includes("--dev");
const port = Number(process.env.PORT ?? 3000);
/** Read by lib/http/client-address.ts (PEER_ADDRESS_HEADER there; a script cannot import the TS). */
const PEER_ADDRESS_HEADER = "x-tollgate-peer-address";

/** The first path segment that is not valid percent-encoded UTF-8, or null. */
function malformedSegment(url) {
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

const server = http.createServer((req, res) => {
  req.headers[PEER_ADDRESS_HEADER] = req.socket.remoteAddress ?? "unknown";
  const segment = malformedSegment(req.url);
  if (segment !== null) {
    res.writeHead(400, { "content-type": "application/json", "cache-control": "no-store", "x-content-type-options": "nosniff" });
    res.end(JSON.stringify({ error: "invalid_request", message: `The path segment "${segment.slice(0, 100)}" is not valid percent-encoded UTF-8`, field: "path" }));
    return;
  }
  void handle(req, res);
});
if (dev) server.on("upgrade", app.getUpgradeHandler());
server.listen(port, () => console.log(`web server listening on port ${port}${dev ? " (dev)" : ""}`));

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 5_000).unref();
  });
}
