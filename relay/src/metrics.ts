// Prometheus metrics. The hot path bumps plain numbers in `RelayCounters`; prom-client reads them
// at scrape time through `collect`, so a fan-out to 200 subscribers costs no label hashing.
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { StateHealth } from "./state/types";

export class RelayCounters {
  connectionsOpen = 0;
  readonly connectionAttempts = new Map<string, number>();
  readonly framesIn = new Map<string, number>();
  readonly framesOut = new Map<string, number>();
  readonly closes = new Map<string, number>();
  softDrops = 0;
  tokenBucketCloses = 0;
  /** Frames dropped with `rate_limited` (frame budget), and connections closed for flooding on regardless. */
  rateLimitedFrames = 0;
  frameFloodCloses = 0;
  slowConsumerCloses = 0;
  readonly appConnections = new Map<string, number>();

  static bump(map: Map<string, number>, label: string, by = 1): void {
    map.set(label, (map.get(label) ?? 0) + by);
  }
}

export interface MetricsSources {
  counters: RelayCounters;
  planCacheAgeSeconds: () => number;
  usageFlushLagSeconds: () => number;
  appMessagesUsed: () => Array<{ appId: string; used: number }>;
  /** Shared-state health (multi-node); absent for the in-memory state. */
  stateHealth?: () => StateHealth | null;
}

export function createMetricsRegistry(sources: MetricsSources, options: { defaultMetrics: boolean }): Registry {
  const registry = new Registry();
  const { counters } = sources;
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: "relay_process_" });

  const fromMap = (metric: Counter<string> | Gauge<string>, map: Map<string, number>, label: string) => {
    metric.reset();
    for (const [value, count] of map) {
      if (metric instanceof Counter) metric.inc({ [label]: value }, count);
      else metric.set({ [label]: value }, count);
    }
  };

  new Gauge({
    name: "relay_connections",
    help: "Open WebSocket connections on this node",
    registers: [registry],
    collect() {
      this.set(counters.connectionsOpen);
    },
  });
  new Counter({
    name: "relay_connection_attempts_total",
    help: "Connection attempts by outcome (welcome or the refusal code)",
    labelNames: ["outcome"],
    registers: [registry],
    collect() {
      fromMap(this, counters.connectionAttempts, "outcome");
    },
  });
  new Counter({
    name: "relay_frames_in_total",
    help: "Client frames received by type",
    labelNames: ["type"],
    registers: [registry],
    collect() {
      fromMap(this, counters.framesIn, "type");
    },
  });
  new Counter({
    name: "relay_frames_out_total",
    help: "Frames sent to clients by type",
    labelNames: ["type"],
    registers: [registry],
    collect() {
      fromMap(this, counters.framesOut, "type");
    },
  });
  new Counter({
    name: "relay_closes_total",
    help: "Connections closed by close code",
    labelNames: ["code"],
    registers: [registry],
    collect() {
      fromMap(this, counters.closes, "code");
    },
  });
  new Counter({
    name: "relay_soft_drops_total",
    help: "publish/send refused with over_message_quota",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(counters.softDrops);
    },
  });
  new Counter({
    name: "relay_token_bucket_closes_total",
    help: "Connections closed with 4011 (token bucket empty)",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(counters.tokenBucketCloses);
    },
  });
  new Counter({
    name: "relay_rate_limited_frames_total",
    help: "Frames dropped with rate_limited (per-connection frame or byte budget spent)",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(counters.rateLimitedFrames);
    },
  });
  new Counter({
    name: "relay_frame_flood_closes_total",
    help: "Connections closed with 4011 frame_flood (kept sending after rate_limited)",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(counters.frameFloodCloses);
    },
  });
  new Counter({
    name: "relay_slow_consumer_closes_total",
    help: "Connections closed with 1008 slow_consumer",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(counters.slowConsumerCloses);
    },
  });
  new Gauge({
    name: "relay_app_connections",
    help: "Open connections per app on this node",
    labelNames: ["app_id"],
    registers: [registry],
    collect() {
      fromMap(this, counters.appConnections, "app_id");
    },
  });
  new Gauge({
    name: "relay_app_messages_used",
    help: "Best-known messages used this period per app",
    labelNames: ["app_id"],
    registers: [registry],
    collect() {
      this.reset();
      for (const { appId, used } of sources.appMessagesUsed()) this.set({ app_id: appId }, used);
    },
  });
  new Gauge({
    name: "relay_plan_cache_age_seconds",
    help: "Seconds since the control plane last confirmed the plan snapshot (-1 before the first)",
    registers: [registry],
    collect() {
      this.set(sources.planCacheAgeSeconds());
    },
  });
  new Gauge({
    name: "relay_usage_flush_lag_seconds",
    help: "Age of the oldest unacknowledged usage batch (0 when all are acknowledged)",
    registers: [registry],
    collect() {
      this.set(sources.usageFlushLagSeconds());
    },
  });
  const stateHealth = sources.stateHealth;
  if (stateHealth) registerStateHealth(registry, stateHealth);
  return registry;
}

function registerStateHealth(registry: Registry, health: () => StateHealth | null): void {
  const gauge = (name: string, help: string, read: (h: StateHealth) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const current = health();
        if (current) this.set(read(current));
      },
    });
  const counter = (name: string, help: string, read: (h: StateHealth) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const current = health();
        this.reset();
        if (current) this.inc(read(current));
      },
    });
  gauge("relay_redis_degraded", "1 while Redis is unreachable and the node serves with its local view", (h) => (h.degraded ? 1 : 0));
  gauge("relay_redis_degraded_seconds", "Length of the current Redis outage (0 when healthy)", (h) => h.degradedForMs / 1000);
  counter("relay_redis_outages_total", "Redis outages seen by this node", (h) => h.outages);
  counter("relay_redis_reconciles_total", "Times this node pushed its local view back to Redis after an outage", (h) => h.reconciles);
  counter("relay_redis_events_not_forwarded_total", "Channel messages and presence events not sent to other nodes during an outage", (h) => h.eventsNotForwarded);
  counter("relay_redis_events_received_total", "Channel messages and presence events received from other nodes (only for apps with a subscriber here)", (h) => h.eventsReceived);
  counter("relay_redis_reply_timeouts_total", "Direct sends or disconnects that stopped waiting for another node's answer", (h) => h.replyTimeouts);
}
