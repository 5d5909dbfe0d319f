// The real entry point as a child process, both as development runs it (`tsx relay/src/main.ts`) and as
// production does (`node relay/dist/main.js`, compiled by relay/build.mjs): env validation, JSON logs
// without secrets, serving, and the graceful SIGTERM shutdown (going_away, then 1001).
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildRelay, relayEntryPoint } from "../build.mjs";
import { CloseCode } from "../src/protocol";
import type { SnapshotApp } from "../src/protocol";
import { FakeControlPlane, RELAY_SECRET, TestClient, appFixture, firstSecretKey, mintToken, removeTempDirs, tempDataDir } from "./helpers";

const repoRoot = path.resolve(__dirname, "../..");
const tsxBin = path.join(repoRoot, "node_modules/.bin/tsx");
let controlPlane: FakeControlPlane;
let app: SnapshotApp;

const entryPoints = [
  { name: "relay/src/main.ts (tsx)", command: tsxBin, args: [path.join(repoRoot, "relay/src/main.ts")] },
  { name: "relay/dist/main.js (compiled)", command: process.execPath, args: ["--enable-source-maps", relayEntryPoint] },
];
type EntryPoint = (typeof entryPoints)[number];

function runRelay(entryPoint: EntryPoint, env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(entryPoint.command, entryPoint.args, { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitForLog(output: () => string, pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = output().match(pattern);
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`log did not match ${pattern}: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  await buildRelay();
  controlPlane = await new FakeControlPlane().start();
  app = appFixture();
  controlPlane.setApps([app]);
});

afterAll(async () => {
  await controlPlane.stop();
  await removeTempDirs();
});

describe.each(entryPoints)("$name", (entryPoint) => {
  it("exits with a message naming an invalid variable", async () => {
    const relay = runRelay(entryPoint, { RELAY_SECRET: "too-short" });
    expect(await relay.exited).toBe(1);
    expect(relay.output()).toContain("RELAY_SECRET");
    expect(relay.output()).not.toContain("too-short");
  });

  it("serves, logs JSON lines without secrets, and shuts down gracefully on SIGTERM", async () => {
    const attemptsBefore = controlPlane.applied(app.appId).messagesAccepted;
    const relay = runRelay(entryPoint, {
      RELAY_SECRET,
      RELAY_PORT: "0",
      CONTROL_PLANE_URL: controlPlane.url,
      RELAY_DATA_DIR: await tempDataDir(),
      USAGE_FLUSH_MS: "60000",
    });
    const match = await waitForLog(relay.output, /"msg":"relay listening".*?"port":(\d+)/);
    const port = Number(match[1]);
    const token = await mintToken(firstSecretKey(app));
    const client = new TestClient(`ws://127.0.0.1:${port}/v1?token=${token}`);
    await client.waitFor((f) => f.type === "welcome");
    await client.request({ type: "publish", channel: "c", data: 1 });
    relay.child.kill("SIGTERM");
    expect(await client.waitFor((f) => f.type === "going_away")).toMatchObject({ retryAfterMs: expect.any(Number) });
    expect(await client.closeCodeWithin(5_000)).toBe(CloseCode.GoingAway);
    expect(await relay.exited).toBe(0);
    expect(controlPlane.applied(app.appId).messagesAccepted - attemptsBefore).toBe(1);
    const lines = relay.output().trim().split("\n");
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(relay.output()).not.toContain(RELAY_SECRET);
    expect(relay.output()).not.toContain(token);
    expect(relay.output()).not.toContain(firstSecretKey(app).signingSecret);
  }, 40_000);

  it("keeps serving when the reader of its logs goes away (EPIPE on stdout)", async () => {
    const relay = runRelay(entryPoint, { RELAY_SECRET, RELAY_PORT: "0", CONTROL_PLANE_URL: controlPlane.url, RELAY_DATA_DIR: await tempDataDir() });
    const port = Number((await waitForLog(relay.output, /"msg":"relay listening".*?"port":(\d+)/))[1]);
    // A log collector that exits closes the pipe's reading end: the relay's next log line fails with EPIPE.
    relay.child.stdout?.destroy();
    for (let i = 0; i < 3; i++) {
      const refused = new TestClient(`ws://127.0.0.1:${port}/v1?token=not-a-jwt`);
      expect(await refused.closeCodeWithin(5_000)).toBe(CloseCode.InvalidToken);
    }
    const client = new TestClient(`ws://127.0.0.1:${port}/v1?token=${await mintToken(firstSecretKey(app))}`);
    await client.waitFor((f) => f.type === "welcome");
    expect(relay.child.exitCode).toBeNull();
    relay.child.kill("SIGTERM");
    expect(await relay.exited).toBe(0);
  }, 40_000);
});
