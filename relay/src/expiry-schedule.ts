// Token expiry of every connection on this node, on one timer. A connect storm would otherwise arm a
// timer per connection, each due at its own millisecond: a timer list of its own in Node's queue (a
// heap insertion and ~200 bytes per connection). Tokens expire on whole seconds, so connections
// whose tokens expire together share one due time and one bucket.

/** setTimeout's longest delay; a later due time is re-armed when this one fires. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export class ExpirySchedule<T> {
  private readonly buckets = new Map<number, Set<T>>();
  /** A binary min-heap of due times; one whose bucket emptied stays until it is due and is skipped then. */
  private readonly dueTimes: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private timerDueAtMs = Number.POSITIVE_INFINITY;

  constructor(
    private readonly onDue: (item: T) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Calls `onDue(item)` at `dueAtMs` (at once if that has passed), unless removed first. */
  add(item: T, dueAtMs: number): void {
    let bucket = this.buckets.get(dueAtMs);
    if (!bucket) {
      bucket = new Set();
      this.buckets.set(dueAtMs, bucket);
      this.push(dueAtMs);
    }
    bucket.add(item);
    if (dueAtMs < this.timerDueAtMs) this.arm(dueAtMs);
  }

  remove(item: T, dueAtMs: number): void {
    const bucket = this.buckets.get(dueAtMs);
    if (!bucket) return;
    bucket.delete(item);
    if (bucket.size === 0) this.buckets.delete(dueAtMs);
  }

  /** Items waiting (for tests and metrics). */
  get size(): number {
    let size = 0;
    for (const bucket of this.buckets.values()) size += bucket.size;
    return size;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerDueAtMs = Number.POSITIVE_INFINITY;
    this.buckets.clear();
    this.dueTimes.length = 0;
  }

  private arm(dueAtMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerDueAtMs = dueAtMs;
    this.timer = setTimeout(() => this.fire(), Math.min(MAX_TIMER_DELAY_MS, Math.max(0, dueAtMs - this.now())));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = null;
    this.timerDueAtMs = Number.POSITIVE_INFINITY;
    const nowMs = this.now();
    while (this.dueTimes.length > 0 && (this.dueTimes[0] ?? 0) <= nowMs) {
      const dueAtMs = this.pop();
      const bucket = this.buckets.get(dueAtMs);
      if (!bucket) continue;
      this.buckets.delete(dueAtMs);
      for (const item of bucket) this.onDue(item);
    }
    const next = this.dueTimes[0];
    if (next !== undefined) this.arm(next);
  }

  private push(dueAtMs: number): void {
    const heap = this.dueTimes;
    let index = heap.push(dueAtMs) - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if ((heap[parent] ?? 0) <= dueAtMs) break;
      heap[index] = heap[parent] ?? 0;
      index = parent;
    }
    heap[index] = dueAtMs;
  }

  private pop(): number {
    const heap = this.dueTimes;
    const top = heap[0] ?? 0;
    const last = heap.pop() ?? 0;
    if (heap.length === 0) return top;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && (heap[right] ?? 0) < (heap[left] ?? 0) ? right : left;
      if ((heap[child] ?? 0) >= last) break;
      heap[index] = heap[child] ?? 0;
      index = child;
    }
    heap[index] = last;
    return top;
  }
}
