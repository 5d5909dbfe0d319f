// Fuzz: thousands of random and malformed frames from several connections. The relay must never
// crash, must answer with protocol errors (or a protocol close), and must keep serving others.
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { seededRandom } from "../src/seeded-random";
import type { RelayHandle } from "../src/server";
import { TestClient, appFixture, firstSecretKey, mintToken, sleep } from "./helpers";
import { relayPerFile } from "./relay-per-file";

let relay: RelayHandle;
const app = appFixture({ limits: { tokenBucketBurst: 1_000_000, tokenBucketRefillPerSecond: 1_000_000 } });
relayPerFile((running) => ({ relay } = running), { apps: [app] });

const TYPES = ["subscribe", "unsubscribe", "publish", "send", "ping", "pong", "welcome", "", "SUBSCRIBE", "__proto__", "constructor"];
const ODD_VALUES: unknown[] = [null, true, 0, -1, 1e308, "", "x", "*", "**", "a/*", "\\", "_system/x", "é", "\u0000", [], {}, [1, [2]], { a: { b: {} } }, "x".repeat(300)];

function randomValue(rand: () => number, depth = 0): unknown {
  const r = rand();
  if (r < 0.4 || depth > 3) return ODD_VALUES[Math.floor(rand() * ODD_VALUES.length)];
  if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
  if (r < 0.8) return Object.fromEntries(Array.from({ length: Math.floor(rand() * 4) }, (_, i) => [`k${i}`, randomValue(rand, depth + 1)]));
  return String.fromCharCode(...Array.from({ length: Math.floor(rand() * 20) }, () => Math.floor(rand() * 0xffff)));
}

function randomFrame(rand: () => number): string | Buffer {
  const r = rand();
  if (r < 0.1) return Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
  if (r < 0.2) return String.fromCharCode(...Array.from({ length: Math.floor(rand() * 40) }, () => Math.floor(rand() * 128)));
  if (r < 0.3) return JSON.stringify(randomValue(rand));
  const frame: Record<string, unknown> = { type: rand() < 0.9 ? TYPES[Math.floor(rand() * TYPES.length)] : randomValue(rand) };
  for (const field of ["channel", "data", "to", "requestId", "includeSenderMetadata"]) {
    if (rand() < 0.6) frame[field] = rand() < 0.5 ? randomValue(rand) : field === "channel" ? `fuzz/${Math.floor(rand() * 5)}` : field === "to" ? "observer" : field === "requestId" ? `q${Math.floor(rand() * 1e6)}` : { n: rand() };
  }
  const text = JSON.stringify(frame);
  // Occasionally truncate a valid frame mid-way.
  return rand() < 0.05 ? text.slice(0, Math.floor(rand() * text.length)) : text;
}

describe("fuzz", () => {
  it("survives thousands of random and malformed frames and keeps serving others", async () => {
    const observer = await TestClient.connect(relay, `token=${await mintToken(firstSecretKey(app), { sub: "observer" })}`);
    await observer.request({ type: "subscribe", channel: "health" });
    const rand = seededRandom(20261122);
    let sent = 0;
    let fuzzerCloses = 0;
    for (let round = 0; round < 8; round++) {
      const fuzzer = await TestClient.connect(relay, `token=${await mintToken(firstSecretKey(app), { sub: `fuzzer-${round}` })}`);
      for (let i = 0; i < 500 && fuzzer.ws.readyState === WebSocket.OPEN; i++) {
        const frame = randomFrame(rand);
        fuzzer.ws.send(frame, { binary: Buffer.isBuffer(frame) });
        sent += 1;
      }
      fuzzer.send({ type: "ping" });
      await Promise.race([fuzzer.waitFor((f) => f.type === "pong").catch(() => undefined), fuzzer.closed]);
      if (fuzzer.closeCode !== null) fuzzerCloses += 1;
      // Every answer is a well-formed server frame.
      for (const frame of fuzzer.frames) expect(["welcome", "ack", "error", "message", "direct", "presence", "pong"]).toContain(frame.type);
      expect(fuzzer.framesOf("error").every((f) => typeof f.code === "string")).toBe(true);
      fuzzer.close();
    }
    expect(sent).toBeGreaterThanOrEqual(3_000);
    expect(fuzzerCloses).toBeLessThanOrEqual(1);

    // The relay is alive and still routes for well-behaved clients.
    const publisher = await TestClient.connect(relay, `token=${await mintToken(firstSecretKey(app), { sub: "publisher" })}`);
    expect((await publisher.request({ type: "publish", channel: "health", data: "still here" })).type).toBe("ack");
    expect(await observer.waitFor((f) => f.type === "message" && f.data === "still here")).toMatchObject({ from: "publisher" });
    expect((await fetch(`${relay.httpUrl}/healthz`)).status).toBe(200);
    await sleep(10);
    publisher.close();
    observer.close();
  });
});
