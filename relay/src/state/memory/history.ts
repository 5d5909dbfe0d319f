// Channel history for one process (a single relay node, or the nodes of one in-process cluster): each
// channel's stream is an array of its newest messages. A stream that outlives its retention time
// without a new message is gone, and the next message starts a new epoch.
import type { HistoryRetention, StreamPosition } from "../../protocol";
import { newEpoch } from "../epochs";
import type { HistoryEntry, HistoryRead, HistoryStore } from "../types";

interface Stream {
  epoch: string;
  latestOffset: number;
  /** Oldest first, at most the plan's historySize. */
  entries: HistoryEntry[];
  /** The retention time after the latest message: past it, every message has expired. */
  expiresAtMs: number;
}

/** How often an append also drops the streams of every channel whose messages all expired. */
const SWEEP_INTERVAL_MS = 10_000;

const NO_STREAM: HistoryRead = { epoch: null, latestOffset: 0, entries: [] };

export class MemoryHistoryStore implements HistoryStore {
  /** appId → channel → stream. */
  private readonly apps = new Map<string, Map<string, Stream>>();
  private lastSweepMs = Date.now();

  async append(appId: string, channel: string, message: Omit<HistoryEntry, "offset" | "publishedAtMs">, retention: HistoryRetention): Promise<StreamPosition> {
    const nowMs = Date.now();
    this.sweep(nowMs);
    let channels = this.apps.get(appId);
    if (!channels) {
      channels = new Map();
      this.apps.set(appId, channels);
    }
    let stream = channels.get(channel);
    if (!stream || stream.expiresAtMs <= nowMs) {
      stream = { epoch: newEpoch(), latestOffset: 0, entries: [], expiresAtMs: 0 };
      channels.set(channel, stream);
    }
    stream.latestOffset += 1;
    stream.entries.push({ ...message, offset: stream.latestOffset, publishedAtMs: nowMs });
    if (stream.entries.length > retention.historySize) stream.entries.splice(0, stream.entries.length - retention.historySize);
    stream.expiresAtMs = nowMs + retention.historyTtlSeconds * 1_000;
    return { offset: stream.latestOffset, epoch: stream.epoch };
  }

  async after(appId: string, channel: string, afterOffset: number, limit: number, retention: HistoryRetention): Promise<HistoryRead> {
    const stream = this.live(appId, channel);
    if (!stream) return NO_STREAM;
    const entries = this.unexpired(stream, retention).filter((entry) => entry.offset > afterOffset).slice(0, limit);
    return { epoch: stream.epoch, latestOffset: stream.latestOffset, entries };
  }

  async latest(appId: string, channel: string, limit: number, before: number | null, retention: HistoryRetention): Promise<HistoryRead> {
    const stream = this.live(appId, channel);
    if (!stream) return NO_STREAM;
    const older = this.unexpired(stream, retention).filter((entry) => before === null || entry.offset < before);
    return { epoch: stream.epoch, latestOffset: stream.latestOffset, entries: older.slice(Math.max(0, older.length - limit)) };
  }

  private live(appId: string, channel: string): Stream | undefined {
    const stream = this.apps.get(appId)?.get(channel);
    return stream && stream.expiresAtMs > Date.now() ? stream : undefined;
  }

  /** The stream's messages within the plan's current retention (it may have been shortened since they were kept). */
  private unexpired(stream: Stream, retention: HistoryRetention): HistoryEntry[] {
    const keptSinceMs = Date.now() - retention.historyTtlSeconds * 1_000;
    const fromIndex = Math.max(0, stream.entries.length - retention.historySize);
    return stream.entries.slice(fromIndex).filter((entry) => entry.publishedAtMs > keptSinceMs);
  }

  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweepMs < SWEEP_INTERVAL_MS) return;
    this.lastSweepMs = nowMs;
    for (const [appId, channels] of this.apps) {
      for (const [channel, stream] of channels) if (stream.expiresAtMs <= nowMs) channels.delete(channel);
      if (channels.size === 0) this.apps.delete(appId);
    }
  }
}
