import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { canWriteFramed, textFrame, writeFramed } from "./raw-frame";

let server: WebSocketServer;
let serverSide: Promise<WebSocket>;
let client: WebSocket;

beforeAll(async () => {
  server = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
  serverSide = new Promise((resolve) => server.once("connection", resolve));
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  await new Promise<void>((resolve) => client.once("open", () => resolve()));
});

afterAll(async () => {
  client.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("pre-framed fan-out writes", () => {
  it("are available with the installed ws (the fast path is not silently off)", async () => {
    expect(canWriteFramed(await serverSide)).toBe(true);
  });

  it("produce frames ws decodes at every length encoding boundary, interleaved with ws.send", async () => {
    const ws = await serverSide;
    const lengths = [0, 1, 125, 126, 127, 65_535, 65_536, 70_000];
    const received: string[] = [];
    const done = new Promise<void>((resolve) =>
      client.on("message", (data: Buffer, isBinary: boolean) => {
        expect(isBinary).toBe(false);
        received.push(data.toString());
        if (received.length === lengths.length * 2) resolve();
      }),
    );
    for (const length of lengths) {
      const payload = Buffer.from("é".repeat(Math.floor(length / 2)) + "x".repeat(length % 2));
      expect(writeFramed(ws, textFrame(payload))).toBe(true);
      ws.send(`after-${length}`);
    }
    await done;
    expect(received.map((m) => (m.startsWith("after-") ? m : Buffer.byteLength(m)))).toEqual(lengths.flatMap((l) => [l, `after-${l}`]));
  });
});
