// An HTTP server on 127.0.0.1, port 0, that records webhook requests (headers and raw body) and
// answers with the statuses it is told, in order (the last one repeats).
import http from "node:http";

export interface ReceivedWebhook {
  headers: http.IncomingHttpHeaders;
  body: string;
  receivedAtMs: number;
}

export interface WebhookSink {
  url: string;
  requests: ReceivedWebhook[];
  /** Statuses to answer with, in order; the last repeats. */
  respondWith(statuses: number[]): void;
  stop(): Promise<void>;
}

export async function startWebhookSink(path = "/hooks/tollgate"): Promise<WebhookSink> {
  const requests: ReceivedWebhook[] = [];
  let statuses = [200];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), receivedAtMs: Date.now() });
      const status = statuses.length > 1 ? (statuses.shift() ?? 200) : (statuses[0] ?? 200);
      res.writeHead(status, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    respondWith: (next) => {
      statuses = [...next];
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
