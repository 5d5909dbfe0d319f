// Metering (ARCHITECTURE §1 "Usage"): per-app deltas accumulated on the hot path with plain number
// increments, cut into batches with unique ids every flush interval and posted to the control plane
// until acknowledged (same id on every retry, so a batch is applied exactly once). Unacknowledged
// batches are kept on disk so a restart resends them.
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { Limits, usageBatchSchema } from "./protocol";
import { LIVE_USAGE_MAX_BATCHES, ZERO_USAGE_COUNTS } from "./protocol";
import type { AppUsageDelta, UnflushedUsage, UsageBatch, UsageBatchResponse, UsageSample } from "./protocol";
import type { Logger } from "./log";
import type { ControlPlaneClient } from "./control-plane-client";

interface MutableDelta extends Omit<AppUsageDelta, "samples"> {
  samples: Map<number, UsageSample>;
  /** Overage spend in thousandths of a minor unit, not yet applied by the control plane. */
  spendMilli: number;
}

const pendingBatchSchema = z.object({
  batch: usageBatchSchema,
  spendMilliByApp: z.record(z.string(), z.number()),
  firstAttemptAtMs: z.number(),
});
type PendingBatch = z.infer<typeof pendingBatchSchema>;
const pendingFileSchema = z.array(pendingBatchSchema);

export interface MeterOptions {
  relayId: string;
  controlPlane: ControlPlaneClient;
  dataDir: string;
  logger: Logger;
  /** Called once per batch before this process first posts it (its counts are in flight from then on). */
  onSending: (batch: UsageBatch) => void;
  /** Called for each acknowledged batch (to fold acknowledged counts and balances back in). */
  onAcknowledged: (batch: UsageBatch, response: UsageBatchResponse) => void;
}

/** A carry never fills more minutes than this in one go (flushes run at least once a minute). */
const MAX_CARRIED_MINUTES = 60;

function minuteOf(nowMs: number): number {
  return Math.floor(nowMs / 60_000) * 60;
}

function newBatchId(): string {
  return `ub_${randomUUID()}`;
}

/** The counts of a delta a stats answer reports (what the control plane adds to its saved totals). */
function unflushedOf(batchId: string, delta: Omit<AppUsageDelta, "samples" | "closesByCode" | "refusedSubscribes" | "peakActiveChannels" | "byKey">): UnflushedUsage {
  return {
    batchId,
    periodStartUnix: delta.periodStartUnix,
    messagesAccepted: delta.messagesAccepted,
    deliveredMessages: delta.deliveredMessages,
    egressBytes: delta.egressBytes,
    egressBlocks: delta.egressBlocks,
    connectionMinutes: delta.connectionMinutes,
    peakConcurrent: delta.peakConcurrent,
    overageMessages: delta.overageMessages,
    overageConnections: delta.overageConnections,
    softDrops: delta.softDrops,
  };
}

export class Meter {
  /** Per app, its deltas by period (one, unless a period just rolled over): no composite key to build per count. */
  private deltas = new Map<string, MutableDelta[]>();
  /**
   * The id the deltas being accumulated will be sent with: chosen up front so a live report of them and
   * the batch they end up in name the same id, and the control plane can tell whether it applied them.
   */
  private openBatchId = newBatchId();
  private pending: PendingBatch[] = [];
  /** Batches this process has posted at least once (the control plane may have applied them). */
  private readonly sentBatchIds = new Set<string>();
  private readonly unappliedSpendMilli = new Map<string, number>();
  /** Per app, the open connections last reported and the minute up to which samples already show them. */
  private readonly openConnections = new Map<string, { periodStartUnix: number; count: number; minuteUnix: number }>();
  private flushing: Promise<void> | null = null;
  private readonly filePath: string;
  lastAcknowledgedAtMs: number = Date.now();

  constructor(private readonly options: MeterOptions) {
    this.filePath = path.join(options.dataDir, "usage-pending.json");
  }

  private delta(appId: string, periodStartUnix: number): MutableDelta {
    let periods = this.deltas.get(appId);
    if (!periods) {
      periods = [];
      this.deltas.set(appId, periods);
    }
    let delta = periods.find((candidate) => candidate.periodStartUnix === periodStartUnix);
    if (!delta) {
      delta = {
        appId,
        periodStartUnix,
        ...ZERO_USAGE_COUNTS,
        closesByCode: {},
        refusedSubscribes: {},
        peakActiveChannels: 0,
        byKey: {},
        samples: new Map(),
        spendMilli: 0,
      };
      periods.push(delta);
    }
    return delta;
  }

  private sample(delta: MutableDelta, nowMs: number): UsageSample {
    return this.sampleAt(delta, minuteOf(nowMs));
  }

  private sampleAt(delta: MutableDelta, minuteUnix: number): UsageSample {
    let sample = delta.samples.get(minuteUnix);
    if (!sample) {
      sample = { minuteUnix, messages: 0, delivered: 0, egressBytes: 0, connectionMinutes: 0, peakConcurrent: 0, softDrops: 0 };
      delta.samples.set(minuteUnix, sample);
    }
    return sample;
  }

  private keyUsage(delta: MutableDelta, keyId: string): { messages: number; connections: number } {
    let usage = delta.byKey[keyId];
    if (!usage) {
      usage = { messages: 0, connections: 0 };
      delta.byKey[keyId] = usage;
    }
    return usage;
  }

  /** An accepted publish/send (overage-billed included); a refused one is a `softDrop`. */
  messageAccepted(appId: string, periodStartUnix: number, keyId: string | null, nowMs: number = Date.now()): void {
    const delta = this.delta(appId, periodStartUnix);
    delta.messagesAccepted += 1;
    this.sample(delta, nowMs).messages += 1;
    if (keyId) this.keyUsage(delta, keyId).messages += 1;
  }

  /** `recipients` deliveries of a frame of `frameBytes` bytes each. */
  delivered(appId: string, periodStartUnix: number, recipients: number, frameBytes: number, nowMs: number = Date.now()): void {
    if (recipients === 0) return;
    const delta = this.delta(appId, periodStartUnix);
    const bytes = recipients * frameBytes;
    delta.deliveredMessages += recipients;
    delta.egressBytes += bytes;
    delta.egressBlocks += recipients * Math.max(1, Math.ceil(frameBytes / Limits.egressBlockBytes));
    const sample = this.sample(delta, nowMs);
    sample.delivered += recipients;
    sample.egressBytes += bytes;
  }

  softDrop(appId: string, periodStartUnix: number, nowMs: number = Date.now()): void {
    const delta = this.delta(appId, periodStartUnix);
    delta.softDrops += 1;
    this.sample(delta, nowMs).softDrops += 1;
  }

  overage(appId: string, periodStartUnix: number, unit: "message" | "connection", costMilli: number): void {
    const delta = this.delta(appId, periodStartUnix);
    if (unit === "message") delta.overageMessages += 1;
    else delta.overageConnections += 1;
    delta.spendMilli += costMilli;
    this.unappliedSpendMilli.set(appId, (this.unappliedSpendMilli.get(appId) ?? 0) + costMilli);
  }

  /** A connection opened or refused with `keyId` (the contract's byKey counts both). */
  connectionAttempt(appId: string, periodStartUnix: number, keyId: string): void {
    this.keyUsage(this.delta(appId, periodStartUnix), keyId).connections += 1;
  }

  /**
   * The app's open connections changed to `count` (or were counted again). The previous count held
   * from its report until now, so every minute it spanned had at least that many open: a minute in
   * which connections merely stay open still shows them. `count` 0 ends the carry.
   */
  concurrent(appId: string, periodStartUnix: number, count: number, nowMs: number = Date.now()): void {
    const delta = this.delta(appId, periodStartUnix);
    if (count > delta.peakConcurrent) delta.peakConcurrent = count;
    const minuteUnix = minuteOf(nowMs);
    this.carryConcurrency(appId, periodStartUnix, minuteUnix);
    const sample = this.sampleAt(delta, minuteUnix);
    if (count > sample.peakConcurrent) sample.peakConcurrent = count;
    const open = this.openConnections.get(appId);
    if (count === 0) this.openConnections.delete(appId);
    else if (!open) this.openConnections.set(appId, { periodStartUnix, count, minuteUnix });
    else {
      open.periodStartUnix = periodStartUnix;
      open.count = count;
      open.minuteUnix = minuteUnix;
    }
  }

  /**
   * Raises the minutes after the app's last report, up to `minuteUnix`, to the count it reported (the
   * reported minute itself already shows it). Nothing to do, and no batch, within the same minute.
   */
  private carryConcurrency(appId: string, periodStartUnix: number, minuteUnix: number): void {
    const open = this.openConnections.get(appId);
    if (!open || open.periodStartUnix !== periodStartUnix || minuteUnix <= open.minuteUnix) return;
    const delta = this.delta(appId, periodStartUnix);
    const firstMinute = Math.max(open.minuteUnix + 60, minuteUnix - MAX_CARRIED_MINUTES * 60);
    for (let minute = firstMinute; minute <= minuteUnix; minute += 60) {
      const sample = this.sampleAt(delta, minute);
      if (open.count > sample.peakConcurrent) sample.peakConcurrent = open.count;
    }
    open.minuteUnix = minuteUnix;
  }

  connectionMinutes(appId: string, periodStartUnix: number, minutes: number, nowMs: number = Date.now()): void {
    if (minutes <= 0) return;
    const delta = this.delta(appId, periodStartUnix);
    delta.connectionMinutes += minutes;
    this.sample(delta, nowMs).connectionMinutes += minutes;
  }

  closed(appId: string, periodStartUnix: number, code: number): void {
    const delta = this.delta(appId, periodStartUnix);
    const key = String(code);
    delta.closesByCode[key] = (delta.closesByCode[key] ?? 0) + 1;
  }

  /** A join made a channel of the app active: the app's active channels across nodes after it. */
  activeChannels(appId: string, periodStartUnix: number, count: number): void {
    const delta = this.delta(appId, periodStartUnix);
    if (count > delta.peakActiveChannels) delta.peakActiveChannels = count;
  }

  /** A subscribe refused by a channel limit, by its error code (the control plane alerts on them). */
  refusedSubscribe(appId: string, periodStartUnix: number, code: string): void {
    const delta = this.delta(appId, periodStartUnix);
    delta.refusedSubscribes[code] = (delta.refusedSubscribes[code] ?? 0) + 1;
  }

  /** Overage spend (thousandths of a minor unit) not yet reflected in a balance the control plane reported. */
  unappliedSpendFor(appId: string): number {
    return this.unappliedSpendMilli.get(appId) ?? 0;
  }

  /**
   * The app's usage not yet acknowledged: its entries in each pending batch and the deltas still being
   * accumulated, the newest LIVE_USAGE_MAX_BATCHES of them.
   */
  unflushed(appId: string): UnflushedUsage[] {
    const pending = this.pending.flatMap((p) => p.batch.apps.filter((a) => a.appId === appId).map((a) => unflushedOf(p.batch.batchId, a)));
    const open = (this.deltas.get(appId) ?? []).map((delta) => unflushedOf(this.openBatchId, delta));
    return [...pending, ...open].slice(-LIVE_USAGE_MAX_BATCHES);
  }

  /** Messages accepted per app/period in batches not yet acknowledged (restored from disk). */
  pendingMessages(): Array<{ appId: string; periodStartUnix: number; messages: number }> {
    return this.pending.flatMap((p) =>
      p.batch.apps.map((a) => ({ appId: a.appId, periodStartUnix: a.periodStartUnix, messages: a.messagesAccepted })),
    );
  }

  get pendingBatchCount(): number {
    return this.pending.length;
  }

  /** Age of the oldest unacknowledged usage in ms (0 when everything is acknowledged). */
  flushLagMs(nowMs: number = Date.now()): number {
    const oldest = this.pending[0];
    return oldest ? nowMs - oldest.firstAttemptAtMs : 0;
  }

  async loadPending(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.filePath, "utf8");
    } catch {
      return;
    }
    try {
      const parsed = pendingFileSchema.safeParse(JSON.parse(text));
      if (!parsed.success) {
        this.options.logger.error("unreadable pending usage file; keeping it aside", { file: this.filePath });
        await rename(this.filePath, `${this.filePath}.corrupt-${Date.now()}`);
        return;
      }
      this.pending.push(...parsed.data);
      for (const p of parsed.data) {
        for (const [appId, spend] of Object.entries(p.spendMilliByApp)) {
          this.unappliedSpendMilli.set(appId, (this.unappliedSpendMilli.get(appId) ?? 0) + spend);
        }
      }
      this.options.logger.info("loaded unacknowledged usage batches", { batches: parsed.data.length });
    } catch {
      this.options.logger.error("unparsable pending usage file; keeping it aside", { file: this.filePath });
      await rename(this.filePath, `${this.filePath}.corrupt-${Date.now()}`).catch(() => undefined);
    }
  }

  /** Moves the accumulated deltas into a new pending batch (no-op when nothing was counted). */
  cut(nowMs: number = Date.now()): boolean {
    for (const [appId, open] of this.openConnections) this.carryConcurrency(appId, open.periodStartUnix, minuteOf(nowMs));
    if (this.deltas.size === 0) return false;
    const apps: AppUsageDelta[] = [];
    const spendMilliByApp: Record<string, number> = {};
    for (const delta of [...this.deltas.values()].flat()) {
      const { spendMilli, samples, ...rest } = delta;
      apps.push({ ...rest, samples: [...samples.values()].sort((a, b) => a.minuteUnix - b.minuteUnix) });
      if (spendMilli > 0) spendMilliByApp[delta.appId] = (spendMilliByApp[delta.appId] ?? 0) + spendMilli;
    }
    this.deltas = new Map();
    const batchId = this.openBatchId;
    this.openBatchId = newBatchId();
    this.pending.push({
      batch: { batchId, relayId: this.options.relayId, sentAtUnixMs: nowMs, apps },
      spendMilliByApp,
      firstAttemptAtMs: nowMs,
    });
    return true;
  }

  /** Cuts and sends every pending batch in order, stopping at the first failure (retried next time). */
  flush(): Promise<void> {
    if (!this.flushing) {
      this.flushing = this.flushOnce().finally(() => {
        this.flushing = null;
      });
    }
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const cut = this.cut();
    const before = this.pending.length;
    while (this.pending.length > 0) {
      const next = this.pending[0];
      if (!next) break;
      if (!this.sentBatchIds.has(next.batch.batchId)) {
        this.sentBatchIds.add(next.batch.batchId);
        this.options.onSending(next.batch);
      }
      const response = await this.post(next.batch);
      if (!response) break;
      this.pending.shift();
      this.sentBatchIds.delete(next.batch.batchId);
      for (const [appId, spend] of Object.entries(next.spendMilliByApp)) {
        this.unappliedSpendMilli.set(appId, Math.max(0, (this.unappliedSpendMilli.get(appId) ?? 0) - spend));
      }
      this.lastAcknowledgedAtMs = Date.now();
      this.options.onAcknowledged(next.batch, response);
    }
    if (cut || this.pending.length !== before) await this.persist();
  }

  private async post(batch: UsageBatch): Promise<UsageBatchResponse | null> {
    const result = await this.options.controlPlane.postUsage(batch);
    if (result.ok) return result.value;
    if (result.kind === "status") this.options.logger.warn("usage batch refused; will retry", { batchId: batch.batchId, status: result.status });
    else if (result.kind === "contract") this.options.logger.error("usage response did not match the contract; will retry", { batchId: batch.batchId });
    else this.options.logger.warn("usage flush failed; will retry", { batchId: batch.batchId, error: result.error });
    return null;
  }

  private async persist(): Promise<void> {
    try {
      await mkdir(this.options.dataDir, { recursive: true, mode: 0o700 });
      const tmp = `${this.filePath}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(this.pending), { mode: 0o600 });
      await rename(tmp, this.filePath);
    } catch (error) {
      this.options.logger.error("could not persist pending usage", { error: error instanceof Error ? error.message : String(error) });
    }
  }
}
