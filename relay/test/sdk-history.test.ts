// The published SDK (`@metered-ca/realtime`, unchanged) recovering what it missed while reconnecting,
// with the socket wrapper docs/PROTOCOL.md §9 shows: the SDK keeps its own reconnect and re-subscribe
// (`autoResubscribe`), and the wrapper adds `since` to the re-subscribe from the last `message` frame it
// saw on each channel, then reports the ack's `recovered`.
import { SignallingClient } from "@metered-ca/realtime";
import type { ChannelMessage, SignallingClientOptions } from "@metered-ca/realtime";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { RelayHandle } from "../src/server";
import { TestClient, appFixture, eventually, firstSecretKey, mintToken } from "./helpers";
import { relayPerFile } from "./relay-per-file";

type Position = { offset: number; epoch: string };
type Frame = { type: string; channel?: string; requestId?: string; offset?: number; epoch?: string; recovered?: boolean };

/** The wrapper from docs/PROTOCOL.md §9, typed for the test; `sockets` lets the test cut the connection. */
function withRecovery(createSocket: (url: string) => WebSocket, onRecovery: (channel: string, recovered: boolean) => void, sockets: WebSocket[]) {
  const positions = new Map<string, Position>();
  const resubscribes = new Map<string, string>();
  return (url: string) => {
    const socket = createSocket(url);
    sockets.push(socket);
    socket.addEventListener("message", (event) => {
      const frame = JSON.parse(String(event.data)) as Frame;
      if (frame.type === "message" && frame.channel !== undefined && frame.offset !== undefined && frame.epoch !== undefined) {
        positions.set(frame.channel, { offset: frame.offset, epoch: frame.epoch });
      }
      const channel = frame.requestId === undefined ? undefined : resubscribes.get(frame.requestId);
      if (frame.type === "ack" && channel !== undefined && frame.recovered !== undefined) onRecovery(channel, frame.recovered);
    });
    const send = socket.send.bind(socket);
    socket.send = ((text: string) => {
      const frame = JSON.parse(text) as Frame;
      const since = frame.type === "subscribe" && frame.channel !== undefined ? positions.get(frame.channel) : undefined;
      if (!since || frame.channel === undefined) return send(text);
      if (frame.requestId !== undefined) resubscribes.set(frame.requestId, frame.channel);
      send(JSON.stringify({ ...frame, since }));
    }) as typeof socket.send;
    return socket;
  };
}

let relay: RelayHandle;
const app = appFixture({ limits: { historySize: 100, historyTtlSeconds: 300 } });
relayPerFile((running) => ({ relay } = running), { apps: [app] });

describe("@metered-ca/realtime recovering after a reconnect", () => {
  it("gets the 50 messages published while it was away, in order, once each, and is told recovered: true", async () => {
    const sockets: WebSocket[] = [];
    const received: number[] = [];
    /** Each recovery ack with how many messages the SDK had delivered by then (the replay comes before it). */
    const recoveries: Array<[string, boolean, number]> = [];
    const client = new SignallingClient({
      url: relay.url,
      tokenProvider: () => mintToken(firstSecretKey(app), { sub: "reader" }),
      webSocketFactory: withRecovery((url) => new WebSocket(url), (channel, recovered) => recoveries.push([channel, recovered, received.length]), sockets),
      reconnect: { initialDelayMs: 400, jitterRatio: 0 },
    } as SignallingClientOptions);
    const reconnects: boolean[] = [];
    client.on("message", (message: ChannelMessage) => received.push((message.data as { n: number }).n));
    client.on("connected", ({ isReconnect }) => reconnects.push(isReconnect));
    const writer = await TestClient.connect(relay, `token=${await mintToken(firstSecretKey(app), { sub: "writer" })}`);
    try {
      await client.connect();
      await client.subscribe("room/1");
      await writer.request({ type: "publish", channel: "room/1", data: { n: 1 } });
      await eventually(() => expect(received).toEqual([1]));

      sockets.at(-1)?.terminate();
      for (let n = 2; n <= 51; n++) await writer.request({ type: "publish", channel: "room/1", data: { n } });
      await eventually(() => expect(received).toHaveLength(51), 5_000);
      expect(received).toEqual(Array.from({ length: 51 }, (_, index) => index + 1));
      expect(reconnects).toEqual([false, true]);
      expect(recoveries).toEqual([["room/1", true, 51]]);
    } finally {
      writer.close();
      await client.close();
    }
  });
});
