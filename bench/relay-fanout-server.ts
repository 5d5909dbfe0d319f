// Server side of bench/relay-fanout.ts, run as a child process so its CPU can be measured alone:
// `relay` = the Tollgate relay with full enforcement; `baseline` = a bare `ws` broadcast server.
// Reports its port over IPC and answers {cmd:"cpu"} with process.cpuUsage().
import { WebSocket, WebSocketServer } from "ws";
import type { RawData } from "ws";
import { DEFAULT_SEND_BUFFER_LIMIT_BYTES, defaultTiming } from "../relay/src/config";
import { DEFAULT_MAX_PENDING_REQUESTS_PER_IP } from "../relay/src/enforcement/pending-requests";
import { silentLogger } from "../relay/src/log";
import { startRelay } from "../relay/src/server";

type ParentMessage = { cmd: "cpu" } | { cmd: "stop" };

function reply(message: unknown): void {
  process.send?.(message);
}

async function startBaseline(): Promise<{ port: number; close(): Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
  // The simplest correct fan-out: forward every frame to every other open client.
  wss.on("connection", (ws) => {
    ws.on("message", (data: RawData) => {
      for (const client of wss.clients) {
        if (client !== ws && client.readyState === WebSocket.OPEN) client.send(data as Buffer, { binary: false });
      }
    });
  });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  const address = wss.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return { port, close: () => new Promise<void>((resolve) => wss.close(() => resolve())) };
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  let server: { port: number; close(): Promise<void> };
  if (mode === "baseline") {
    server = await startBaseline();
  } else if (mode === "relay") {
    server = await startRelay(
      {
        port: 0,
        host: "127.0.0.1",
        controlPlaneUrl: process.env.BENCH_CONTROL_PLANE_URL ?? "",
        relaySecret: process.env.BENCH_RELAY_SECRET ?? "",
        planCacheRefreshMs: 60_000,
        usageFlushMs: 10_000,
        dataDir: process.env.BENCH_DATA_DIR ?? "",
        trustedProxies: [],
        connectRatePerIp: 100_000,
        connectRateWindowMs: 60_000,
        relayId: "bench-relay",
        sendBufferLimitBytes: DEFAULT_SEND_BUFFER_LIMIT_BYTES,
        maxPendingRequestsPerIp: DEFAULT_MAX_PENDING_REQUESTS_PER_IP,
        timing: { ...defaultTiming },
      },
      { logger: silentLogger },
    );
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  process.on("message", (message: ParentMessage) => {
    if (message.cmd === "cpu") reply({ cpu: process.cpuUsage() });
    if (message.cmd === "stop") void server.close().then(() => process.exit(0));
  });
  reply({ port: server.port });
}

void main();
