// A dead webhook endpoint: an HTTP server on 127.0.0.1, port 0, that accepts every request and never
// answers, so each one hangs until the caller gives up. Counts what it was sent, how many requests are
// open now and the most that were open at once.
import http from "node:http";
import type { Socket } from "node:net";

export interface SilentEndpoint {
  url: string;
  /** Requests received so far. */
  readonly received: number;
  /** Requests whose caller has not given up yet. */
  readonly open: number;
  readonly maxOpen: number;
  stop(): Promise<void>;
}

export async function startSilentEndpoint(path = "/hooks/never-answers"): Promise<SilentEndpoint> {
  const counts = { received: 0, open: 0, maxOpen: 0 };
  const sockets = new Set<Socket>();
  const server = http.createServer((req) => {
    counts.received += 1;
    counts.open += 1;
    counts.maxOpen = Math.max(counts.maxOpen, counts.open);
    req.socket.once("close", () => {
      counts.open -= 1;
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    get received() {
      return counts.received;
    },
    get open() {
      return counts.open;
    },
    get maxOpen() {
      return counts.maxOpen;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
