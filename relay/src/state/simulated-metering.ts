// A relay's metering against a simulated control plane, for the contract suite's property tests of
// the message counters: random interleavings of increments, flushes, acknowledgements and late,
// out-of-order snapshots, reproducible by seed.
import { seededRandom } from "../seeded-random";
import type { MessageCounterStore } from "./types";

/**
 * One relay's metering against a simulated control plane, as the server drives the counter store:
 * accepted messages are increments; a flush cuts them into a batch that is sent (one at a time, like
 * the meter), applied by the control plane and later acknowledged with the period count after it;
 * snapshots are generated with the control plane's count and delivered late and out of order.
 */
export class SimulatedRelay {
  /** Every increment ever made through this relay, plus the initial baseline for the first relay. */
  ownIncrements = 0;
  lastOp = "";
  private unsent = 0;
  private inFlight: { count: number; appliedTotal: number | null } | null = null;
  private readonly snapshots: number[] = [];
  private readonly random: () => number;

  constructor(
    private readonly counters: MessageCounterStore,
    private readonly appId: string,
    seed: number,
    initial: number,
    private readonly controlPlane = { total: initial },
  ) {
    this.random = seededRandom(seed);
    counters.setBaseline(appId, 1000, controlPlane.total);
  }

  /** Total as the control plane will know it once everything is applied (single-relay runs). */
  get trueTotal(): number {
    return this.controlPlane.total + this.unsent + (this.inFlight && this.inFlight.appliedTotal === null ? this.inFlight.count : 0);
  }

  randomStep(): void {
    const roll = this.random();
    if (roll < 0.4) {
      const count = 1 + Math.floor(this.random() * 3);
      this.lastOp = `increment ${count}`;
      this.counters.increment(this.appId, 1000, count);
      this.unsent += count;
      this.ownIncrements += count;
    } else if (roll < 0.52) {
      this.lastOp = "flush";
      this.send();
    } else if (roll < 0.64) {
      this.lastOp = "control plane applies";
      this.apply();
    } else if (roll < 0.76) {
      this.lastOp = "acknowledgement arrives";
      this.acknowledge();
    } else if (roll < 0.88) {
      this.lastOp = "snapshot generated";
      this.snapshots.push(this.controlPlane.total);
    } else {
      const index = Math.floor(this.random() * this.snapshots.length);
      const [baseline] = this.snapshots.splice(index, 1);
      this.lastOp = `snapshot ${baseline ?? "none"} arrives`;
      if (baseline !== undefined) this.counters.setBaseline(this.appId, 1000, baseline);
    }
  }

  /** Sends, applies and acknowledges everything still unsent or in flight. */
  drain(): void {
    for (let i = 0; i < 2; i++) {
      this.apply();
      this.acknowledge();
      this.send();
    }
  }

  private send(): void {
    if (this.inFlight || this.unsent === 0) return;
    this.inFlight = { count: this.unsent, appliedTotal: null };
    this.counters.sent(this.appId, 1000, this.unsent);
    this.unsent = 0;
  }

  private apply(): void {
    if (!this.inFlight || this.inFlight.appliedTotal !== null) return;
    this.controlPlane.total += this.inFlight.count;
    this.inFlight.appliedTotal = this.controlPlane.total;
  }

  private acknowledge(): void {
    if (!this.inFlight || this.inFlight.appliedTotal === null) return;
    this.counters.acknowledge(this.appId, 1000, this.inFlight.count, this.inFlight.appliedTotal);
    this.inFlight = null;
  }
}
