// A channel's present peers by peerId, kept in peerId order so a roster is read a page at a time:
// finding where a page starts is a binary search, reading it costs the page. PeerIds are printable
// ASCII (PROTOCOL §1), so JavaScript's string order is their byte order, the order Redis's BYLEX
// ranges use: both stores page the same way.

/** A page of a roster: `nextAfter` is the cursor for the next page (its last peerId), null at the end. */
export interface SortedPage<T> {
  entries: Array<[peerId: string, value: T]>;
  nextAfter: string | null;
}

export class SortedPeers<T> {
  private readonly byPeerId = new Map<string, T>();
  /** The keys of `byPeerId`, ascending. Inserting shifts the tail: a memmove, cheap next to a roster read. */
  private readonly order: string[] = [];

  get size(): number {
    return this.byPeerId.size;
  }

  get(peerId: string): T | undefined {
    return this.byPeerId.get(peerId);
  }

  /** Adds or replaces the peer's value. */
  set(peerId: string, value: T): void {
    if (!this.byPeerId.has(peerId)) this.order.splice(this.firstAfter(peerId, true), 0, peerId);
    this.byPeerId.set(peerId, value);
  }

  delete(peerId: string): boolean {
    if (!this.byPeerId.delete(peerId)) return false;
    this.order.splice(this.firstAfter(peerId, true), 1);
    return true;
  }

  /** Up to `limit` peers after `afterPeerId` (from the start when null), in peerId order. */
  page(afterPeerId: string | null, limit: number): SortedPage<T> {
    const start = afterPeerId === null ? 0 : this.firstAfter(afterPeerId, false);
    const end = Math.min(start + limit, this.order.length);
    const entries: Array<[string, T]> = [];
    for (let i = start; i < end; i++) {
      const peerId = this.order[i];
      const value = peerId === undefined ? undefined : this.byPeerId.get(peerId);
      if (peerId !== undefined && value !== undefined) entries.push([peerId, value]);
    }
    const last = entries.at(-1);
    return { entries, nextAfter: end < this.order.length && last ? last[0] : null };
  }

  /** Index of the first peerId greater than `peerId` (or equal to it, when `inclusive`). */
  private firstAfter(peerId: string, inclusive: boolean): number {
    let low = 0;
    let high = this.order.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const candidate = this.order[middle] ?? "";
      if (candidate < peerId || (!inclusive && candidate === peerId)) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  *[Symbol.iterator](): IterableIterator<[string, T]> {
    yield* this.byPeerId;
  }
}
