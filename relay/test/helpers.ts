// Test harness: app-state fixtures, token minting, a relay on port 0 with short timers against the fake
// control plane (fake-control-plane.ts), and a raw `ws` client that records every frame and the close code.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { SignJWT } from "jose";
import { WebSocket } from "ws";
import { defaultTiming } from "../src/config";
import { DEFAULT_MAX_PENDING_REQUESTS_PER_IP } from "../src/enforcement/pending-requests";
import type { RelayConfig, RelayTiming } from "../src/config";
import { silentLogger } from "../src/log";
import { KeyPrefix, PlanDefaults } from "../src/protocol";
import type { SnapshotApp, SnapshotKey } from "../src/protocol";
import { startRelay } from "../src/server";
import { createMemoryState } from "../src/state/memory";
import type { RelayState } from "../src/state/types";
import type { RelayHandle, StartRelayOptions } from "../src/server";
import { eventuallyWithin } from "./eventually";
import { FakeControlPlane, RELAY_SECRET } from "./fake-control-plane";

export { FakeControlPlane, RELAY_SECRET };
export type { RechargeBehaviour } from "./fake-control-plane";
export const METRICS_TOKEN = "test-metrics-token-0123456789abcdef";

/** GET /metrics with the test relays' metrics token. */
export async function fetchMetrics(httpUrl: string): Promise<string> {
  const response = await fetch(`${httpUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return response.text();
}

export interface SecretKeyFixture extends SnapshotKey {
  signingSecret: string;
}

export function secretKey(overrides: Partial<SnapshotKey> = {}): SecretKeyFixture {
  return {
    keyId: `${KeyPrefix.secretKeyId}${randomBytes(8).toString("hex")}`,
    kind: "secret",
    channelPatterns: ["**"],
    actions: ["publish", "subscribe", "presence", "send"],
    allowedOrigins: [],
    revoked: false,
    expiresAtUnix: null,
    signingSecret: `${KeyPrefix.secretKeySecret}${randomBytes(24).toString("hex")}`,
    ...overrides,
  };
}

export function publishableKey(overrides: Partial<SnapshotKey> = {}): SnapshotKey {
  return {
    keyId: `${KeyPrefix.publishableKey}${randomBytes(8).toString("hex")}`,
    kind: "publishable",
    channelPatterns: ["**"],
    actions: ["subscribe", "publish", "presence"],
    allowedOrigins: [],
    revoked: false,
    expiresAtUnix: null,
    ...overrides,
  };
}

type AppOverrides = Partial<Omit<SnapshotApp, "limits" | "billing" | "usage">> & {
  limits?: Partial<SnapshotApp["limits"]>;
  billing?: Partial<SnapshotApp["billing"]>;
  usage?: Partial<SnapshotApp["usage"]>;
};

export const PERIOD_START_UNIX = 1_700_000_000;

export function appFixture(overrides: AppOverrides = {}): SnapshotApp {
  const { limits, billing, usage, ...rest } = overrides;
  return {
    appId: `${KeyPrefix.app}${randomBytes(6).toString("hex")}`,
    status: "active",
    planName: "test",
    period: { startUnix: PERIOD_START_UNIX, endUnix: PERIOD_START_UNIX + 30 * 86_400 },
    changesAtUnix: null,
    version: "0",
    keys: [secretKey(), publishableKey()],
    ...rest,
    limits: {
      maxConcurrentConnections: 100,
      maxMessagesPerPeriod: 1_000_000,
      tokenBucketRefillPerSecond: PlanDefaults.tokenBucketRefillPerSecond,
      tokenBucketBurst: PlanDefaults.tokenBucketBurst,
      connectAttemptsPerIpPerMinute: 1_000,
      controlFrameRefillPerSecond: PlanDefaults.controlFrameRefillPerSecond,
      controlFrameBurst: PlanDefaults.controlFrameBurst,
      inboundBytesPerSecond: PlanDefaults.inboundBytesPerSecond,
      historySize: PlanDefaults.historySize,
      historyTtlSeconds: PlanDefaults.historyTtlSeconds,
      maxPeersPerChannel: null,
      maxActiveChannels: null,
      ...limits,
    },
    billing: {
      overagesAllowed: false,
      overagesEnabled: false,
      balanceMinor: 0,
      autoRechargeEnabled: false,
      overagePricePer1000MessagesMinor: 100,
      overagePricePerConnectionMinor: 10,
      usageBilledFromBalance: false,
      ...billing,
    },
    usage: { messagesUsed: 0, overageMessages: 0, overageConnections: 0, peakConcurrent: 0, ...usage },
  };
}

export function firstSecretKey(app: SnapshotApp): SecretKeyFixture {
  const key = app.keys.find((k): k is SecretKeyFixture => k.kind === "secret" && typeof k.signingSecret === "string");
  if (!key) throw new Error("fixture app has no secret key");
  return key;
}

export function firstPublishableKey(app: SnapshotApp): SnapshotKey {
  const key = app.keys.find((k) => k.kind === "publishable");
  if (!key) throw new Error("fixture app has no publishable key");
  return key;
}

export interface TokenOptions {
  sub?: string;
  expiresInSec?: number;
  claims?: Record<string, unknown>;
  omitExp?: boolean;
}

export async function mintToken(key: SecretKeyFixture, options: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT({ ...options.claims })
    .setProtectedHeader({ alg: "HS256", kid: key.keyId, typ: "JWT" })
    .setSubject(options.sub ?? `peer-${randomUUID()}`);
  if (options.claims?.iat === undefined) jwt.setIssuedAt();
  if (!options.omitExp) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresInSec ?? 3600));
  return jwt.sign(new TextEncoder().encode(key.signingSecret));
}

const dataDirs: string[] = [];

export async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "tollgate-relay-test-"));
  dataDirs.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(dataDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export type RelayConfigOverrides = Partial<Omit<RelayConfig, "timing">> & { timing?: Partial<RelayTiming> };

export async function relayConfig(controlPlane: FakeControlPlane, overrides: RelayConfigOverrides = {}): Promise<RelayConfig> {
  const { timing, ...rest } = overrides;
  return {
    port: 0,
    host: "127.0.0.1",
    controlPlaneUrl: controlPlane.url,
    relaySecret: RELAY_SECRET,
    metricsToken: METRICS_TOKEN,
    planCacheRefreshMs: 60_000,
    usageFlushMs: 60_000,
    dataDir: await tempDataDir(),
    trustedProxies: [],
    connectRatePerIp: 10_000,
    connectRateWindowMs: 60_000,
    relayId: `test-relay-${randomBytes(3).toString("hex")}`,
    sendBufferLimitBytes: 1024 * 1024,
    maxPendingRequestsPerIp: DEFAULT_MAX_PENDING_REQUESTS_PER_IP,
    ...rest,
    timing: {
      ...defaultTiming,
      serverPingIntervalMs: 60_000,
      shutdownGraceMs: 20,
      rechargeTimeoutMs: 1_000,
      rechargeRetryCooldownMs: 200,
      controlPlaneTimeoutMs: 1_000,
      slowConsumerTerminateMs: 2_000,
      ...timing,
    },
  };
}

export async function startTestRelay(controlPlane: FakeControlPlane, overrides: RelayConfigOverrides = {}, options: StartRelayOptions = {}): Promise<RelayHandle> {
  return startRelay(await relayConfig(controlPlane, overrides), { logger: silentLogger, ...options });
}

export type Frame = Record<string, unknown> & { type: string };

/** A raw `ws` client that records every frame and the close code. */
export class TestClient {
  readonly frames: Frame[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  closeCode: number | null = null;
  private waiters: Array<() => void> = [];
  private requestSeq = 0;

  constructor(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}) {
    this.ws = new WebSocket(url, options);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("error", reject);
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) => {
      this.ws.once("close", (code: number, reason: Buffer) => {
        this.closeCode = code;
        resolve({ code, reason: reason.toString() });
        this.notify();
      });
    });
    this.ws.on("error", () => undefined);
    this.ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      this.frames.push(JSON.parse(data.toString("utf8")) as Frame);
      this.notify();
    });
  }

  static async connect(relay: RelayHandle, query: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<TestClient> {
    const client = new TestClient(`${relay.url}/v1?${query}`, options);
    await client.waitFor((f) => f.type === "welcome");
    return client;
  }

  private notify(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  nextRequestId(): string {
    return `r${++this.requestSeq}`;
  }

  /** Sends a frame with a fresh requestId and resolves with the correlated ack or error. */
  async request(frame: Record<string, unknown>, timeoutMs?: number): Promise<Frame> {
    const requestId = this.nextRequestId();
    this.send({ ...frame, requestId });
    return this.waitFor((f) => (f.type === "ack" || f.type === "error") && f.requestId === requestId, timeoutMs);
  }

  /** Resolves with the first recorded frame matching `predicate` (already received or future). */
  async waitFor(predicate: (frame: Frame) => boolean, timeoutMs = 3_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(predicate);
      if (found) return found;
      if (this.closeCode !== null) throw new Error(`socket closed (${this.closeCode}) before the expected frame; got ${JSON.stringify(this.frames.slice(-5))}`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`timed out waiting for frame; got ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  framesOf(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  async closeCodeWithin(timeoutMs = 3_000): Promise<number> {
    const result = await Promise.race([this.closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs))]);
    if (result === null) throw new Error("socket did not close in time");
    return result.code;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }
}

/** Connects and expects the relay to close the socket; resolves with the close code. */
export async function expectRefused(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<number> {
  const client = new TestClient(url, options);
  return client.closeCodeWithin();
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `check` passes (3 s at most by default): relay tests cross processes and timers. */
export function eventually(check: () => void | Promise<void>, timeoutMs = 3_000): Promise<void> {
  return eventuallyWithin(check, timeoutMs);
}

export function internalHeaders(): Record<string, string> {
  return { authorization: `Bearer ${RELAY_SECRET}` };
}

/** `{"<key>":[{},{},…]}` as long as fits in `maxBytes` serialized: the most objects a claim of that size can make a relay allocate. */
export function emptyObjects(key: string, maxBytes: number): Record<string, unknown> {
  const overhead = JSON.stringify({ [key]: [] }).length;
  return { [key]: Array.from({ length: Math.floor((maxBytes - overhead + 1) / 3) }, () => ({})) };
}

/** Spins for `ms`: work that holds the event loop. */
export function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** In-memory relay state whose presence joins first run `beforeJoin`: a store made slow or costly on purpose. */
export function memoryStateWithSlowJoins(beforeJoin: () => void | Promise<void>): RelayState {
  const state = createMemoryState();
  const join = state.presence.join.bind(state.presence);
  state.presence.join = async (...args) => {
    await beforeJoin();
    return join(...args);
  };
  return state;
}

