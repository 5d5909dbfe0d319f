// Relay configuration: validated once at startup from the environment (STYLE habit 3). Tests build a
// RelayConfig directly and shorten the timers through `timing`.
import os from "node:os";
import { z } from "zod";
import { parseTrustedProxies } from "./enforcement/ip-limiter";
import { DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_MAX_PENDING_REQUESTS_PER_IP } from "./enforcement/pending-requests";
import { FALLBACK_OPEN_FILE_LIMIT, MAX_SOCKET_SHARE, readOpenFileLimit, socketBudget } from "./enforcement/socket-budget";
import { Limits, PlanDefaults } from "./protocol";

const intFromEnv = (fallback: number) => z.coerce.number().int().default(fallback);

const envSchema = z.object({
  RELAY_PORT: intFromEnv(8080).pipe(z.number().int().min(0).max(65535)),
  // Loopback by default: a self-hosted relay is normally fronted by a proxy; set 0.0.0.0 to expose it.
  RELAY_HOST: z.string().min(1).default("127.0.0.1"),
  CONTROL_PLANE_URL: z.url().default("http://127.0.0.1:3000"),
  RELAY_SECRET: z.string({ error: "is required" }).min(32, "must be at least 32 characters"),
  PLAN_CACHE_REFRESH_MS: intFromEnv(PlanDefaults.planCacheRefreshMs).pipe(z.number().int().min(100)),
  USAGE_FLUSH_MS: intFromEnv(PlanDefaults.usageFlushMs).pipe(z.number().int().min(100).max(PlanDefaults.maxUsageFlushMs)),
  RELAY_DATA_DIR: z.string().min(1).default(".data/relay"),
  TRUSTED_PROXIES: z.string().default(""),
  CONNECT_RATE_PER_IP: intFromEnv(PlanDefaults.connectAttemptsPerIpPerMinute).pipe(z.number().int().positive()),
  CONNECT_RATE_WINDOW_MS: intFromEnv(60_000).pipe(z.number().int().positive()),
  // Node-wide socket caps; unset, they are computed from the open-file limit (enforcement/socket-budget.ts).
  RELAY_MAX_CONNECTIONS: z.coerce.number().int().positive().optional(),
  RELAY_MAX_PENDING_CONNECTIONS: z.coerce.number().int().positive().optional(),
  RELAY_ID: z.string().min(1).max(100).optional(),
  // /metrics lists every tenant's app ids: served only to `Authorization: Bearer <METRICS_TOKEN>`, and
  // refused (403) while no token is configured.
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  // Select the multi-node state (relay/src/state/redis); its REDIS_* settings are read there. A cluster's
  // seed nodes ("host:port,host:port") take precedence over a standalone Redis's URL.
  REDIS_URL: z.string().optional(),
  REDIS_CLUSTER_NODES: z
    .string()
    .max(4_000)
    .optional()
    .transform((value) => (value ?? "").split(",").map((node) => node.trim()).filter((node) => node.length > 0))
    .refine((nodes) => nodes.every((node) => /^(redis:\/\/)?[A-Za-z0-9.\-[\]:]+:\d{1,5}$/.test(node)), "must be a comma-separated list of host:port"),
});

/** Timers that tests shorten; production uses the protocol values. */
export interface RelayTiming {
  tokenExpiryLeadMs: number;
  serverPingIntervalMs: number;
  pongTimeoutMs: number;
  /** `going_away.retryAfterMs` advertised on shutdown. */
  goingAwayRetryAfterMs: number;
  /** How long shutdown waits between `going_away` and the 1001 close. */
  shutdownGraceMs: number;
  /** Bounded wait for the control plane's recharge answer. */
  rechargeTimeoutMs: number;
  /** After a refused recharge, messages are dropped without asking again for this long. */
  rechargeRetryCooldownMs: number;
  /** Timeout of each control-plane HTTP call (app state, change feed, usage). */
  controlPlaneTimeoutMs: number;
  /** An app's enforcement state is dropped this long after its last connection here left. */
  appLingerMs: number;
  /** A key id the control plane does not know is refused without asking again for this long. */
  unknownKeyCacheMs: number;
  /** Relays holding an app ask for it again at its period's end after a random delay up to this (spread in time). */
  periodEndSpreadMs: number;
  /** A slow consumer that does not read its close frame is terminated after this long. */
  slowConsumerTerminateMs: number;
  /** A connection must have sent its whole request (an upgrade's headers) within this long, or it is answered 408. */
  handshakeTimeoutMs: number;
}

export interface RelayConfig {
  port: number;
  host: string;
  controlPlaneUrl: string;
  relaySecret: string;
  planCacheRefreshMs: number;
  usageFlushMs: number;
  dataDir: string;
  trustedProxies: string[];
  connectRatePerIp: number;
  connectRateWindowMs: number;
  relayId: string;
  redisUrl?: string;
  /** Seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES); when set, the relay uses the cluster. */
  redisClusterNodes?: string[];
  /** Bearer token for /metrics; unset: /metrics is refused. */
  metricsToken?: string;
  /** Bytes buffered for one connection before it is closed as a slow consumer (1008). */
  sendBufferLimitBytes: number;
  /** Connections one address may hold before their request is complete (enforcement/pending-requests.ts). */
  maxPendingRequestsPerIp: number;
  /** Node-wide connections whose request is not yet complete; unset: from the open-file limit (socket-budget.ts). */
  maxPendingConnections?: number;
  /** Node-wide upgraded connections; past it an upgrade is answered 503. Unset: from the open-file limit. */
  maxConnections?: number;
  timing: RelayTiming;
}

export const defaultTiming: RelayTiming = {
  tokenExpiryLeadMs: Limits.tokenExpiryLeadMs,
  serverPingIntervalMs: Limits.serverPingIntervalMs,
  pongTimeoutMs: Limits.pongTimeoutMs,
  goingAwayRetryAfterMs: 2_000,
  shutdownGraceMs: 500,
  rechargeTimeoutMs: 3_000,
  rechargeRetryCooldownMs: 5_000,
  controlPlaneTimeoutMs: 5_000,
  appLingerMs: 120_000,
  unknownKeyCacheMs: 5_000,
  periodEndSpreadMs: 1_000,
  slowConsumerTerminateMs: 2_000,
  handshakeTimeoutMs: DEFAULT_HEADERS_TIMEOUT_MS,
};

export const DEFAULT_SEND_BUFFER_LIMIT_BYTES = 4 * 1024 * 1024;

export class ConfigError extends Error {}

/** Parses the environment; throws a ConfigError naming every invalid variable. */
export function loadConfigFromEnv(env: NodeJS.ProcessEnv = process.env): RelayConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`invalid relay configuration: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  const openFileLimit = readOpenFileLimit();
  const budget = socketBudget(openFileLimit ?? FALLBACK_OPEN_FILE_LIMIT);
  const maxConnections = e.RELAY_MAX_CONNECTIONS ?? budget.maxConnections;
  const maxPendingConnections = e.RELAY_MAX_PENDING_CONNECTIONS ?? budget.maxPendingConnections;
  // Past the open-file limit the process accepts no one at all: the caps must leave room for other files.
  if (openFileLimit !== null && maxConnections + maxPendingConnections > openFileLimit * MAX_SOCKET_SHARE) {
    throw new ConfigError(
      `invalid relay configuration: RELAY_MAX_CONNECTIONS (${maxConnections}) + RELAY_MAX_PENDING_CONNECTIONS (${maxPendingConnections}) must stay within ${MAX_SOCKET_SHARE * 100} % of the open-file limit (${openFileLimit}); raise the limit (ulimit -n) or lower them`,
    );
  }
  return {
    port: e.RELAY_PORT,
    host: e.RELAY_HOST,
    controlPlaneUrl: e.CONTROL_PLANE_URL.replace(/\/+$/, ""),
    relaySecret: e.RELAY_SECRET,
    planCacheRefreshMs: e.PLAN_CACHE_REFRESH_MS,
    usageFlushMs: e.USAGE_FLUSH_MS,
    dataDir: e.RELAY_DATA_DIR,
    trustedProxies: [...parseTrustedProxies(e.TRUSTED_PROXIES)],
    connectRatePerIp: e.CONNECT_RATE_PER_IP,
    connectRateWindowMs: e.CONNECT_RATE_WINDOW_MS,
    relayId: e.RELAY_ID ?? `${os.hostname()}-${process.pid}`,
    ...(e.REDIS_URL ? { redisUrl: e.REDIS_URL } : {}),
    ...(e.REDIS_CLUSTER_NODES.length > 0 ? { redisClusterNodes: e.REDIS_CLUSTER_NODES } : {}),
    ...(e.METRICS_TOKEN ? { metricsToken: e.METRICS_TOKEN } : {}),
    sendBufferLimitBytes: DEFAULT_SEND_BUFFER_LIMIT_BYTES,
    maxPendingRequestsPerIp: DEFAULT_MAX_PENDING_REQUESTS_PER_IP,
    maxPendingConnections,
    maxConnections,
    timing: { ...defaultTiming },
  };
}
