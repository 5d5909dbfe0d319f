// Message-quota counters across nodes. Every call is synchronous and local: increments land in this
// node's view at once and a background loop (every `syncIntervalMs`) pushes absolute values for the
// app periods that changed or are in use, reading back the other nodes' counts in the same round trip
// (COUNTER_SYNC). A node therefore misses at most one sync interval (plus a round trip) of the other
// nodes' traffic: that is the overshoot bound. During an outage the loop pauses, the view keeps the
// other nodes' last known count, and the first sync after it pushes everything again.
//
// Accounting per app period (mirrors the Redis hash): total = baseline + acked + own + others, where
// `acked` is what the control plane acknowledged but the baseline does not show yet. When a newer
// baseline rises by Δ it absorbs up to Δ of `acked`; a rise seen before its acknowledgement waits in
// `risen` and absorbs the acknowledgement when it comes. So an acknowledgement on one node never
// makes another node, still on an older snapshot, undercount. Each node also tracks its own part of
// `acked` (`ownAcked`), which is what lets a Redis that lost its data be rebuilt exactly.
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
import type { RedisLink } from "./link";
import type { RedisKeys } from "./keys";
import { COUNTER_SYNC } from "./scripts";

interface PeriodView {
  periodStartUnix: number;
  key: string;
  /** Best baseline seen (this node's snapshots or another node's, via Redis); null before any. */
  baseline: number | null;
  /** The highest baseline this node's own snapshots reported (pushed to Redis). */
  ownBaseline: number | null;
  /** Acknowledged by the control plane but not in the baseline yet: all nodes', and this node's part. */
  acked: number;
  ownAcked: number;
  risen: number;
  /** This node's increments not yet acknowledged by the control plane. */
  own: number;
  /** Other live nodes' unacknowledged increments, as of the last sync. */
  others: number;
  /** Everything this node had acknowledged this period, cumulative (pushed as an absolute value). */
  acknowledgedTotal: number;
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

function matchAcknowledged(view: PeriodView, count: number): void {
  const matched = Math.min(count, view.risen);
  view.risen -= matched;
  view.acked += count - matched;
  view.ownAcked += count - matched;
}

function raiseBaseline(view: PeriodView, baseline: number): void {
  if (view.baseline === null) {
    view.baseline = baseline;
    return;
  }
  if (baseline <= view.baseline) return;
  const rise = baseline - view.baseline;
  const absorbed = Math.min(rise, view.acked);
  view.acked -= absorbed;
  // Redis absorbs this node's acknowledgements first; the view does the same.
  view.ownAcked -= Math.min(view.ownAcked, absorbed);
  view.risen += rise - absorbed;
  view.baseline = baseline;
}

export class RedisMessageCounterStore implements MessageCounterStore {
  private readonly views = new Map<string, PeriodView>();
  private round = 0;
  private syncing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly nodeId: string,
    private readonly incarnation: string,
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
      ownBaseline: null,
      acked: 0,
      ownAcked: 0,
      risen: 0,
      own: 0,
      others: 0,
      acknowledgedTotal: 0,
      dirty: false,
      incrementsTotal: 0,
      incrementsAtReply: 0,
      usedInRound: this.round,
    };
    this.views.set(appId, fresh);
    return fresh;
  }

  /** Known total plus the other live nodes' presumed traffic since the last reply (see the top). */
  private totalOf(view: PeriodView): number {
    const unseen = this.link.otherLiveNodes * (view.incrementsTotal - view.incrementsAtReply);
    return (view.baseline ?? 0) + view.acked + view.own + view.others + unseen;
  }

  setBaseline(appId: string, periodStartUnix: number, messagesUsed: number): void {
    const view = this.viewFor(appId, periodStartUnix);
    if (!view) return;
    raiseBaseline(view, messagesUsed);
    if (view.ownBaseline === null || messagesUsed > view.ownBaseline) {
      view.ownBaseline = messagesUsed;
      view.dirty = true;
    }
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
    const view = this.views.get(appId);
    if (!view || view.periodStartUnix !== periodStartUnix) return 0;
    view.usedInRound = this.round;
    return this.totalOf(view);
  }

  acknowledge(appId: string, periodStartUnix: number, count: number): void {
    const view = this.views.get(appId);
    if (!view || view.periodStartUnix !== periodStartUnix) return;
    const applied = Math.min(count, view.own);
    view.own -= applied;
    view.acknowledgedTotal += applied;
    matchAcknowledged(view, applied);
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
    const due: Array<[string, PeriodView]> = [];
    for (const entry of this.views) {
      const view = entry[1];
      if (reconciling || view.dirty || this.round - view.usedInRound <= ACTIVE_ROUNDS) due.push(entry);
    }
    for (let start = 0; start < due.length; start += SYNC_BATCH) {
      const batch = due.slice(start, start + SYNC_BATCH);
      const args: Array<string | number> = [this.nodeId, this.incarnation, KEY_TTL_SECONDS];
      // What is pushed, per view, so changes made during the round trip are re-applied on top.
      const pushed = batch.map(([, view]) => {
        view.dirty = false;
        args.push(view.key, view.own, view.acknowledgedTotal, view.ownBaseline ?? -1, view.ownAcked, view.risen);
        return { view, acknowledgedTotal: view.acknowledgedTotal, incrementsTotal: view.incrementsTotal };
      });
      const run = (redis: RedisLink["command"]) => this.link.script(redis, COUNTER_SYNC, [this.keys.nodes], args);
      let reply: unknown;
      if (reconciling) {
        reply = await run(this.link.command);
      } else {
        reply = await this.link.call(run);
        if (reply === UNAVAILABLE) {
          for (const { view } of pushed) view.dirty = true;
          return;
        }
      }
      if (!Array.isArray(reply) || reply.length !== 1 + pushed.length * 5) throw new Error("unexpected counter sync reply");
      this.link.otherLiveNodes = Math.max(0, Number(reply[0]));
      pushed.forEach(({ view, acknowledgedTotal, incrementsTotal }, index) => {
        const [baseline, acked, risen, others, ownAcked] = reply.slice(1 + index * 5, 1 + index * 5 + 5).map(Number);
        if (baseline === undefined || acked === undefined || risen === undefined || others === undefined || ownAcked === undefined) return;
        view.incrementsAtReply = incrementsTotal;
        view.baseline = baseline >= 0 ? baseline : null;
        view.acked = acked;
        view.risen = risen;
        view.others = others;
        view.ownAcked = ownAcked;
        // Acknowledgements and baselines that arrived during the round trip are not in the reply yet.
        matchAcknowledged(view, view.acknowledgedTotal - acknowledgedTotal);
        if (view.ownBaseline !== null) raiseBaseline(view, view.ownBaseline);
      });
    }
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
