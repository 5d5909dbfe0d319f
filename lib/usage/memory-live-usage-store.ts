// The LiveUsageStore of one web process (no REDIS_URL, or Redis not answering).
import type { NodeUsageReport } from "@tollgate/relay/protocol";
import { KEPT_REPORT_TTL_MS, type KeptReport, type LiveUsageStore, MONOTONIC_FIGURES, SHOWN_FIGURES_GRACE_MS, type ShownFigures } from "./live-usage.types";

/** Expired entries are swept at most this often (on a write). */
const SWEEP_INTERVAL_MS = 60_000;

export class MemoryLiveUsageStore implements LiveUsageStore {
  private readonly kept = new Map<string, { nodes: Map<string, KeptReport>; expiresAtMs: number }>();
  private readonly shown = new Map<string, { figures: ShownFigures; expiresAtMs: number }>();
  private lastSweepMs = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async keep(appId: string, reports: NodeUsageReport[], options: { receivedAtMs: number; allNodes: boolean }): Promise<void> {
    this.sweep();
    let app = this.kept.get(appId);
    if (!app) {
      app = { nodes: new Map(), expiresAtMs: 0 };
      this.kept.set(appId, app);
    }
    app.expiresAtMs = this.now() + KEPT_REPORT_TTL_MS;
    for (const report of reports) {
      const existing = app.nodes.get(report.relayId);
      if (!existing || existing.report.measuredAtUnixMs < report.measuredAtUnixMs) app.nodes.set(report.relayId, { report, receivedAtMs: options.receivedAtMs });
    }
    if (!options.allNodes) return;
    const answering = new Set(reports.map((report) => report.relayId));
    for (const [relayId, entry] of app.nodes) {
      if (!answering.has(relayId) && entry.receivedAtMs < options.receivedAtMs) app.nodes.delete(relayId);
    }
  }

  async reports(appId: string): Promise<KeptReport[]> {
    const app = this.kept.get(appId);
    return app && app.expiresAtMs > this.now() ? [...app.nodes.values()] : [];
  }

  async raiseShown(appId: string, period: { startUnix: number; endUnix: number }, figures: ShownFigures): Promise<ShownFigures> {
    this.sweep();
    const key = `${appId}\u0000${period.startUnix}`;
    const existing = this.shown.get(key);
    const highest = { ...figures };
    if (existing) for (const figure of MONOTONIC_FIGURES) highest[figure] = Math.max(existing.figures[figure], figures[figure]);
    this.shown.set(key, { figures: highest, expiresAtMs: period.endUnix * 1000 + SHOWN_FIGURES_GRACE_MS });
    return { ...highest };
  }

  private sweep(): void {
    const now = this.now();
    if (now - this.lastSweepMs < SWEEP_INTERVAL_MS) return;
    this.lastSweepMs = now;
    for (const [appId, app] of this.kept) if (app.expiresAtMs <= now) this.kept.delete(appId);
    for (const [key, entry] of this.shown) if (entry.expiresAtMs <= now) this.shown.delete(key);
  }
}
