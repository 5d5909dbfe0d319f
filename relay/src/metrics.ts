// Prometheus metrics. The hot path bumps plain numbers in `RelayCounters`; prom-client reads them
// at scrape time through `collect`, so a fan-out to 200 subscribers costs no label hashing.
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

export class RelayCounters {
  connectionsOpen = 0;
  readonly connectionAttempts = new Map<string, number>();
  readonly framesIn = new Map<string, number>();
  readonly framesOut = new Map<string, number>();
  readonly closes = new Map<string, number>();
  softDrops = 0;
  tokenBucketCloses = 0;
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
  return registry;
}
