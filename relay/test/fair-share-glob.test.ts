// Channel patterns cannot stall the relay (issue 22): a pattern built to make a backtracking matcher
// explode, as a wildcard subscription, a key's channel pattern or a token's `channels` claim, is
// matched against a 48-byte channel without holding the event loop, so other clients are answered.
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../src/protocol";
import type { RelayHandle } from "../src/server";
import { TestClient, appFixture, firstSecretKey, mintToken, secretKey } from "./helpers";
import type { SecretKeyFixture } from "./helpers";
import { relayPerFile } from "./relay-per-file";

// Ends in `b`, so it never matches the all-`a` channel: a backtracking matcher tries every way of
// splitting 48 characters among eight `**` before giving up (seconds, growing exponentially).
const ADVERSARIAL_PATTERN = "**a**a**a**a**a**a**a**a**b";
const LONG_A_CHANNEL = "a".repeat(48);
const PROMPT_ANSWER_MS = 200;

let relay: RelayHandle;
const adversarialKey = secretKey({ channelPatterns: [ADVERSARIAL_PATTERN] });
const app = appFixture();
app.keys.push(adversarialKey);
relayPerFile((running) => ({ relay } = running), { apps: [app] });

async function connect(key: SecretKeyFixture, claims: Record<string, unknown> = {}): Promise<TestClient> {
  return TestClient.connect(relay, `token=${await mintToken(key, { claims })}`);
}

/** Sends a ping and resolves with the milliseconds until its pong. */
async function pingRoundTripMs(client: TestClient): Promise<number> {
  const pongsBefore = client.framesOf("pong").length;
  const started = performance.now();
  client.send({ type: "ping" });
  await client.waitFor(() => client.framesOf("pong").length > pongsBefore, 10_000);
  return performance.now() - started;
}

describe("adversarial channel patterns", () => {
  it("a wildcard subscription built to backtrack does not delay an innocent client's ping while a publish fans out", async () => {
    const key = firstSecretKey(app);
    const subscriber = await connect(key);
    expect((await subscriber.request({ type: "subscribe", channel: ADVERSARIAL_PATTERN })).type).toBe("ack");
    const publisher = await connect(key);
    const innocent = await connect(key);

    publisher.send({ type: "publish", channel: LONG_A_CHANNEL, data: "not matched" });
    // Published after the first by the same client, so it fans out after it; the pattern matches it.
    const matchedChannel = `${"a".repeat(47)}b`;
    publisher.send({ type: "publish", channel: matchedChannel, data: "matched" });
    const roundTrips: number[] = [];
    const delivered = subscriber.waitFor((f) => f.type === "message" && f.data === "matched", 10_000);
    let done = false;
    void delivered.then(
      () => (done = true),
      () => (done = true),
    );
    do roundTrips.push(await pingRoundTripMs(innocent));
    while (!done);

    expect(await delivered).toMatchObject({ channel: matchedChannel });
    expect(subscriber.framesOf("message").map((f) => f.data)).toEqual(["matched"]);
    expect(Math.max(...roundTrips)).toBeLessThan(PROMPT_ANSWER_MS);
    for (const client of [subscriber, publisher, innocent]) client.close();
  });

  it("refuses a channel outside a key pattern built to backtrack with channel_not_authorized, promptly", async () => {
    const client = await connect(adversarialKey);
    const started = performance.now();
    expect(await client.request({ type: "subscribe", channel: LONG_A_CHANNEL }, 10_000)).toMatchObject({ type: "error", code: ErrorCode.ChannelNotAuthorized });
    expect(performance.now() - started).toBeLessThan(PROMPT_ANSWER_MS);
    client.close();
  });

  it("refuses a channel outside a token's channels claim built to backtrack with channel_not_authorized, promptly", async () => {
    const client = await connect(firstSecretKey(app), { channels: [ADVERSARIAL_PATTERN] });
    const started = performance.now();
    expect(await client.request({ type: "publish", channel: LONG_A_CHANNEL, data: 1 }, 10_000)).toMatchObject({ type: "error", code: ErrorCode.ChannelNotAuthorized });
    expect(performance.now() - started).toBeLessThan(PROMPT_ANSWER_MS);
    client.close();
  });
});
