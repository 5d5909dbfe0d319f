// A channel's present peers by peerId, kept in peerId order so a roster is read a page at a time:
// finding where a page starts is a binary search, reading it costs the page. PeerIds are printable
// ASCII (PROTOCOL §1), so JavaScript's string order is their byte order, the order Redis's BYLEX
// ranges use: both stores page the same way.

/** A page of a roster: `nextAfter` is the cursor for the next page (its last peerId), null at the end. */
export interface SortedPage<T> {
  entries: Array<[peerId: string, value: T]>;
  nextAfter: string | null;
}

interface ManyPeers<T> {
  byPeerId: Map<string, T>;
  /** The keys of `byPeerId`, ascending. Inserting shifts the tail: a memmove, cheap next to a roster read. */
  order: string[];
}

export class SortedPeers<T> {
  // A channel's only peer is kept in two fields, the map and the order only made for a second one:
  // most channels that a connection subscribes to alone have one peer, and the pair costs ~450 bytes.
  private onlyPeerId: string | null = null;
  private onlyValue: T | undefined = undefined;
  private many: ManyPeers<T> | null = null;

  get size(): number {
    if (this.many) return this.many.byPeerId.size;
    return this.onlyPeerId === null ? 0 : 1;
  }

  get(peerId: string): T | undefined {
    if (this.many) return this.many.byPeerId.get(peerId);
    return peerId === this.onlyPeerId ? this.onlyValue : undefined;
  }

  /** Adds or replaces the peer's value. */
  set(peerId: string, value: T): void {
    if (this.onlyPeerId === null && !this.many) {
      this.onlyPeerId = peerId;
      this.onlyValue = value;
    } else if (this.onlyPeerId === peerId) {
      this.onlyValue = value;
    } else {
      const many = this.manyPeers();
      if (!many.byPeerId.has(peerId)) many.order.splice(firstAfter(many.order, peerId, true), 0, peerId);
      many.byPeerId.set(peerId, value);
    }
  }

  delete(peerId: string): boolean {
    if (!this.many) {
      if (peerId !== this.onlyPeerId) return false;
      this.onlyPeerId = null;
      this.onlyValue = undefined;
      return true;
    }
    const { byPeerId, order } = this.many;
    if (!byPeerId.delete(peerId)) return false;
    order.splice(firstAfter(order, peerId, true), 1);
    const [remaining] = order;
    if (order.length === 1 && remaining !== undefined) {
      this.many = null;
      this.onlyPeerId = remaining;
      this.onlyValue = byPeerId.get(remaining);
    }
    return true;
  }

  /** The map and order, made from the only peer when a second one comes. */
  private manyPeers(): ManyPeers<T> {
    if (this.many) return this.many;
    const many: ManyPeers<T> = { byPeerId: new Map(), order: [] };
    if (this.onlyPeerId !== null && this.onlyValue !== undefined) {
      many.byPeerId.set(this.onlyPeerId, this.onlyValue);
      many.order.push(this.onlyPeerId);
    }
    this.onlyPeerId = null;
    this.onlyValue = undefined;
    this.many = many;
    return many;
  }

  /** Up to `limit` peers after `afterPeerId` (from the start when null), in peerId order. */
  page(afterPeerId: string | null, limit: number): SortedPage<T> {
    if (!this.many) {
      const { onlyPeerId, onlyValue } = this;
      const included = onlyPeerId !== null && onlyValue !== undefined && limit > 0 && (afterPeerId === null || onlyPeerId > afterPeerId);
      return { entries: included ? [[onlyPeerId, onlyValue]] : [], nextAfter: null };
    }
    const { byPeerId, order } = this.many;
    const start = afterPeerId === null ? 0 : firstAfter(order, afterPeerId, false);
    const end = Math.min(start + limit, order.length);
    const entries: Array<[string, T]> = [];
    for (let i = start; i < end; i++) {
      const peerId = order[i];
      const value = peerId === undefined ? undefined : byPeerId.get(peerId);
      if (peerId !== undefined && value !== undefined) entries.push([peerId, value]);
    }
    const last = entries.at(-1);
    return { entries, nextAfter: end < order.length && last ? last[0] : null };
  }

  *[Symbol.iterator](): IterableIterator<[string, T]> {
    if (this.many) yield* this.many.byPeerId;
    else if (this.onlyPeerId !== null && this.onlyValue !== undefined) yield [this.onlyPeerId, this.onlyValue];
  }
}

/** Index in `order` of the first peerId greater than `peerId` (or equal to it, when `inclusive`). */
function firstAfter(order: readonly string[], peerId: string, inclusive: boolean): number {
  let low = 0;
  let high = order.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const candidate = order[middle] ?? "";
    if (candidate < peerId || (!inclusive && candidate === peerId)) low = middle + 1;
    else high = middle;
  }
  return low;
}
