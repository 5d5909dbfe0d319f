// Message-quota counters across nodes. Every call is synchronous and local: increments land in this
// node's view at once and a background loop (every `syncIntervalMs`) pushes absolute values for the
// app periods that changed or are in use, reading back the other nodes' counts in the same round trip
// (COUNTER_SYNC). A node therefore misses at most one sync interval (plus a round trip) of the other
// nodes' traffic: that is the overshoot bound. During an outage the loop pauses, the view keeps the
// other nodes' last known count, and the first sync after it pushes everything again.
//
// Accounting per app period (mirrors the Redis hash): total = baseline + own + others, where the
// baseline is the largest control-plane count any node reported and own/others are the increments the
// control plane has not acknowledged. An acknowledgement takes its batch out of `own` and raises the
// baseline to the period count it carries (which contains the batch) in one step, locally and in the
// one push that follows, so the count never falls back. A snapshot baseline waits while this node has
// a batch in flight (it may or may not contain it). Another node's batch that the control plane
// applied but that node has not acknowledged yet may be counted twice for that round trip: the count
// runs briefly high (a refusal a little early), never low.
//
// Between two sync replies a node cannot see the other nodes' traffic, and under load (a busy event
// loop works through a backlog of frames in one go) that can be far longer than the sync interval. So
// the view assumes every other live node sent as much as this node did since its last reply: near the
// limit a node stops at about its share of what is left instead of spending all of it, so a late reply
// does not turn into a large overshoot. The price is that a node within (nodes × one sync
// interval of its traffic) of the limit may refuse a little early until the next reply shows the
// others' real counts. During an outage the same rule gives each node a fair share of what remained
// when Redis was last seen.
import type { MessageCounterStore } from "../types";
import { UNAVAILABLE } from "./link";
import type { RedisClient } from "./link";
import type { RedisLink } from "./link";
import type { RedisKeys } from "./keys";
import { COUNTER_SYNC, LIVE_NODES } from "./scripts";

interface PeriodView {
  periodStartUnix: number;
  key: string;
  /** The largest control-plane count seen (snapshots, acknowledgements, other nodes via Redis); null before any. */
  baseline: number | null;
  /** This node's increments not yet acknowledged by the control plane. */
  own: number;
  /** Of those, the ones sent in usage batches whose acknowledgement is outstanding. */
  inFlight: number;
  /** Other live nodes' unacknowledged increments, as of the last sync. */
  others: number;
  dirty: boolean;
  /** Every increment of the period on this node, cumulative, and its value at the push the last reply answered. */
  incrementsTotal: number;
  incrementsAtReply: number;
  /** Sync round in which the view was last used; recently used views keep syncing to see others' counts. */
  usedInRound: number;
}

/** Apps kept in sync this many rounds after their last use on this node. */
const ACTIVE_ROUNDS = 40;
/** Entries per script call: bounds the time one script blocks Redis. */
const SYNC_BATCH = 200;
/** Counter keys outlive any billing period's inactivity window; Redis drops abandoned periods. */
const KEY_TTL_SECONDS = 40 * 86_400;

export class RedisMessageCounterStore implements MessageCounterStore {
  private readonly views = new Map<string, PeriodView>();
  private round = 0;
  private syncing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly nodeId: string,
    syncIntervalMs: number,
  ) {
    link.onReconcile(() => this.reconcile());
    this.timer = setInterval(() => void this.sync(), syncIntervalMs);
    this.timer.unref();
  }

  /** The period's view, starting a fresh one for a newer period; null for a stale period. */
  private viewFor(appId: string, periodStartUnix: number): PeriodView | null {
    const existing = this.views.get(appId);
    if (existing && existing.periodStartUnix === periodStartUnix) return existing;
    if (existing && existing.periodStartUnix > periodStartUnix) return null;
    const fresh: PeriodView = {
      periodStartUnix,
      key: this.keys.messages(appId, periodStartUnix),
      baseline: null,
      own: 0,
      inFlight: 0,
      others: 0,
      dirty: false,
      incrementsTotal: 0,
      incrementsAtReply: 0,
      usedInRound: this.round,
    };
    this.views.set(appId, fresh);
    return fresh;
  }

  private current(appId: string, periodStartUnix: number): PeriodView | null {
    const view = this.views.get(appId);
    return view && view.periodStartUnix === periodStartUnix ? view : null;
  }

  /** Known total plus the other live nodes' presumed traffic since the last reply (see the top). */
  private totalOf(view: PeriodView): number {
    const unseen = this.link.otherLiveNodes * Math.max(0, view.incrementsTotal - view.incrementsAtReply);
    return (view.baseline ?? 0) + view.own + view.others + unseen;
  }

  private raiseBaseline(view: PeriodView, baseline: number): void {
    if (view.baseline !== null && baseline <= view.baseline) return;
    view.baseline = baseline;
    view.dirty = true;
  }

  setBaseline(appId: string, periodStartUnix: number, messagesUsed: number): void {
    const view = this.viewFor(appId, periodStartUnix);
    if (!view) return;
    if (view.baseline === null || view.inFlight === 0) this.raiseBaseline(view, messagesUsed);
  }

  increment(appId: string, periodStartUnix: number, count: number): number {
    const view = this.viewFor(appId, periodStartUnix);
    if (!view) return this.total(appId, periodStartUnix);
    view.own += count;
    view.incrementsTotal += count;
    view.dirty = true;
    view.usedInRound = this.round;
    return this.totalOf(view);
  }

  total(appId: string, periodStartUnix: number): number {
    const view = this.current(appId, periodStartUnix);
    if (!view) return 0;
    view.usedInRound = this.round;
    return this.totalOf(view);
  }

  sent(appId: string, periodStartUnix: number, count: number): void {
    const view = this.current(appId, periodStartUnix);
    if (view) view.inFlight += count;
  }

  acknowledge(appId: string, periodStartUnix: number, count: number, periodTotal: number): void {
    const view = this.current(appId, periodStartUnix);
    if (!view) return;
    view.own = Math.max(0, view.own - count);
    view.inFlight = Math.max(0, view.inFlight - count);
    this.raiseBaseline(view, periodTotal);
    view.dirty = true;
  }

  /** Pushes the views that changed or are in use and folds the global values back in. */
  sync(): Promise<void> {
    if (!this.syncing) {
      this.syncing = this.syncOnce(false).finally(() => {
        this.syncing = null;
      });
    }
    return this.syncing;
  }

  private async syncOnce(reconciling: boolean): Promise<void> {
    this.round += 1;
    if (!reconciling && this.link.degraded) return;
    const due: PeriodView[] = [];
    for (const view of this.views.values()) {
      if (reconciling || view.dirty || this.round - view.usedInRound <= ACTIVE_ROUNDS) due.push(view);
    }
    if (due.length === 0) return;
    const live = reconciling ? await this.liveNodes(this.link.command) : await this.link.call((redis) => this.liveNodes(redis));
    if (live === UNAVAILABLE) return;
    this.link.otherLiveNodes = live.filter((nodeId) => nodeId !== this.nodeId).length;
    // One script call per slot (a standalone Redis: per batch), each bounded so it never blocks Redis long.
    const batches = this.link.bySlot(due, (view) => view.key).flatMap((group) => {
      const chunks: PeriodView[][] = [];
      for (let start = 0; start < group.length; start += SYNC_BATCH) chunks.push(group.slice(start, start + SYNC_BATCH));
      return chunks;
    });
    const results = await Promise.all(batches.map((batch) => this.syncBatch(batch, live, reconciling)));
    if (results.includes(UNAVAILABLE)) for (const view of due) view.dirty = true;
  }

  private async liveNodes(redis: RedisClient): Promise<string[]> {
    const reply = await this.link.script(redis, LIVE_NODES, [this.keys.nodes], []);
    if (!Array.isArray(reply)) throw new Error("unexpected live nodes reply");
    return reply.filter((nodeId): nodeId is string => typeof nodeId === "string");
  }

  private async syncBatch(batch: PeriodView[], live: readonly string[], reconciling: boolean): Promise<void | typeof UNAVAILABLE> {
    const args: Array<string | number> = [this.nodeId, KEY_TTL_SECONDS, live.length, ...live];
    // What is pushed, per view: changes made during the round trip stay local until the next push.
    const pushed = batch.map((view) => {
      view.dirty = false;
      args.push(view.own, view.baseline ?? -1);
      return { view, incrementsTotal: view.incrementsTotal };
    });
    const keys = batch.map((view) => view.key);
    const run = (redis: RedisClient) => this.link.script(redis, COUNTER_SYNC, keys, args);
    const reply = reconciling ? await run(this.link.command) : await this.link.call(run);
    if (reply === UNAVAILABLE) return UNAVAILABLE;
    if (!Array.isArray(reply) || reply.length !== pushed.length * 2) throw new Error("unexpected counter sync reply");
    pushed.forEach(({ view, incrementsTotal }, index) => {
      const baseline = Number(reply[index * 2]);
      const others = Number(reply[1 + index * 2]);
      if (!Number.isFinite(baseline) || !Number.isFinite(others)) return;
      view.incrementsAtReply = incrementsTotal;
      if (baseline >= 0 && (view.baseline === null || baseline > view.baseline)) view.baseline = baseline;
      view.others = others;
    });
  }

  /** After an outage: push every view (Redis may have lost them) before the link is healthy again. */
  private async reconcile(): Promise<void> {
    if (this.syncing) await this.syncing.catch(() => undefined);
    await this.syncOnce(true);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
