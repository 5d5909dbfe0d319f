// The billing gate for new connections and publish/send: gathers the facts PROTOCOL §6's matrix needs
// (billing-policy.ts decides), takes the lease or counts the message, asks the control plane for a
// recharge when the verdict says so (coalesced per app, bounded wait, cooldown after a refusal) and
// meters overage units. It talks to the state seam (leases, counters), the meter and the control-plane
// client. Balances are tracked in thousandths of a minor unit so per-message overage prices (priced
// per 1,000 messages) stay integers.
import { describeFailure } from "../control-plane-client";
import type { ControlPlaneClient } from "../control-plane-client";
import type { SnapshotApp } from "../protocol";
import { billingVerdict } from "./billing-policy";
import type { BillingVerdict } from "./billing-policy";
import type { Logger } from "../log";
import type { Meter } from "../metering";
import type { LeaseResult, RelayState } from "../state/types";

export type ConnectionAdmission = { admitted: true; overage: boolean; count: number } | { admitted: false };
export type MessageAdmission = { allowed: true; overage: boolean } | { allowed: false };
type OverageUnit = "message" | "connection";

const ALLOWED: MessageAdmission = { allowed: true, overage: false };
const ALLOWED_OVERAGE: MessageAdmission = { allowed: true, overage: true };
const REFUSED: MessageAdmission = { allowed: false };
const CONNECTION_REFUSED: ConnectionAdmission = { admitted: false };

export interface BillingGateOptions {
  state: RelayState;
  meter: Meter;
  controlPlane: ControlPlaneClient;
  rechargeTimeoutMs: number;
  rechargeRetryCooldownMs: number;
  logger: Logger;
}

interface BalanceView {
  balanceMinor: number;
  /** As of when, on the control plane's database clock; a snapshot generated later supersedes it. */
  reportedAtMs: number;
}

export class BillingGate {
  private readonly reportedBalances = new Map<string, BalanceView>();
  private readonly recharges = new Map<string, Promise<boolean>>();
  private readonly rechargeRefusedUntilMs = new Map<string, number>();

  constructor(private readonly options: BillingGateOptions) {}

  /**
   * A balance from a usage acknowledgement or a recharge answer. `asOfMs` is the control plane's database
   * clock (never this node's: the two may disagree), the clock of snapshots' `generatedAtUnixMs`, so a
   * snapshot generated before it, arriving later, cannot bring back an undebited balance.
   */
  reportBalance(appId: string, balanceMinor: number, asOfMs: number): void {
    this.reportedBalances.set(appId, { balanceMinor, reportedAtMs: asOfMs });
  }

  /**
   * The newer of the snapshot's balance and the last reported one, less the spend not yet applied. On a
   * tie the reported balance wins: a snapshot generated in the same millisecond may predate the debit.
   */
  private estimatedBalanceMilli(app: SnapshotApp, snapshotGeneratedAtMs: number): number {
    const reported = this.reportedBalances.get(app.appId);
    const balanceMinor = reported && reported.reportedAtMs >= snapshotGeneratedAtMs ? reported.balanceMinor : app.billing.balanceMinor;
    return balanceMinor * 1000 - this.options.meter.unappliedSpendFor(app.appId);
  }

  private costMilli(app: SnapshotApp, unit: OverageUnit): number {
    return unit === "message" ? app.billing.overagePricePer1000MessagesMinor : app.billing.overagePricePerConnectionMinor * 1000;
  }

  private rechargeAvailable(app: SnapshotApp): boolean {
    return app.billing.autoRechargeEnabled && (this.rechargeRefusedUntilMs.get(app.appId) ?? 0) <= Date.now();
  }

  /** The §6 verdict for one unit, after a recharge when the first verdict asks for one. */
  private decide(app: SnapshotApp, unit: OverageUnit, withinPlan: boolean, snapshotGeneratedAtMs: number): Exclude<BillingVerdict, "recharge"> | Promise<Exclude<BillingVerdict, "recharge">> {
    const facts = (rechargeAvailable: boolean) => ({
      withinPlan,
      billing: app.billing,
      balanceMilli: this.estimatedBalanceMilli(app, snapshotGeneratedAtMs),
      overageCostMilli: this.costMilli(app, unit),
      rechargeAvailable,
    });
    const verdict = billingVerdict(facts(this.rechargeAvailable(app)));
    if (verdict !== "recharge") return this.settle(app, unit, verdict);
    return this.recharge(app.appId, unit).then((recharged) => {
      const after = recharged ? billingVerdict(facts(false)) : "refuse";
      return this.settle(app, unit, after === "recharge" ? "refuse" : after);
    });
  }

  private settle(app: SnapshotApp, unit: OverageUnit, verdict: Exclude<BillingVerdict, "recharge">): Exclude<BillingVerdict, "recharge"> {
    if (verdict === "allow_overage") this.options.meter.overage(app.appId, app.period.startUnix, unit, this.costMilli(app, unit));
    return verdict;
  }

  private recharge(appId: string, reason: OverageUnit): Promise<boolean> {
    let inFlight = this.recharges.get(appId);
    if (!inFlight) {
      inFlight = this.requestRecharge(appId, reason).finally(() => this.recharges.delete(appId));
      this.recharges.set(appId, inFlight);
    }
    return inFlight;
  }

  private async requestRecharge(appId: string, reason: OverageUnit): Promise<boolean> {
    const result = await this.options.controlPlane.recharge(appId, reason, this.options.rechargeTimeoutMs);
    if (!result.ok) {
      this.rechargeRefusedUntilMs.set(appId, Date.now() + this.options.rechargeRetryCooldownMs);
      this.options.logger.warn("auto-recharge failed", { appId, ...describeFailure(result) });
      return false;
    }
    this.reportBalance(appId, result.value.balanceMinor, result.value.asOfUnixMs);
    if (!result.value.recharged) {
      this.rechargeRefusedUntilMs.set(appId, Date.now() + this.options.rechargeRetryCooldownMs);
      this.options.logger.info("auto-recharge refused", { appId, reason: result.value.reason ?? "unspecified" });
    }
    return result.value.recharged;
  }

  /**
   * The concurrency gate: a lease within the cap, else an overage lease when the matrix allows one.
   * Synchronous unless a recharge or a shared lease store must be awaited (a connect storm on one node
   * never waits on a microtask).
   */
  admitConnection(app: SnapshotApp, connectionId: string, snapshotGeneratedAtMs: number): ConnectionAdmission | Promise<ConnectionAdmission> {
    const funding = this.decide(app, "connection", true, snapshotGeneratedAtMs);
    if (funding instanceof Promise) return funding.then((verdict) => this.leaseIfFunded(verdict, app, connectionId, snapshotGeneratedAtMs));
    return this.leaseIfFunded(funding, app, connectionId, snapshotGeneratedAtMs);
  }

  private leaseIfFunded(funding: BillingVerdict, app: SnapshotApp, connectionId: string, snapshotGeneratedAtMs: number): ConnectionAdmission | Promise<ConnectionAdmission> {
    if (funding === "refuse") return CONNECTION_REFUSED;
    const withinCap = this.options.state.leases.acquire(app.appId, connectionId, app.limits.maxConcurrentConnections);
    if (withinCap instanceof Promise) return withinCap.then((lease) => this.admitWithLease(lease, app, connectionId, snapshotGeneratedAtMs));
    return this.admitWithLease(withinCap, app, connectionId, snapshotGeneratedAtMs);
  }

  private admitWithLease(withinCap: LeaseResult, app: SnapshotApp, connectionId: string, snapshotGeneratedAtMs: number): ConnectionAdmission | Promise<ConnectionAdmission> {
    if (withinCap.acquired) return { admitted: true, overage: false, count: withinCap.count };
    return this.admitOverCap(app, connectionId, snapshotGeneratedAtMs);
  }

  private async admitOverCap(app: SnapshotApp, connectionId: string, snapshotGeneratedAtMs: number): Promise<ConnectionAdmission> {
    if ((await this.decide(app, "connection", false, snapshotGeneratedAtMs)) === "refuse") return CONNECTION_REFUSED;
    const forced = await this.options.state.leases.acquire(app.appId, connectionId, null);
    return { admitted: true, overage: true, count: forced.count };
  }

  /**
   * Decides one publish/send against the period quota and counts it when accepted (PROTOCOL §6:
   * refusals are soft drops, metered here, and never count against the quota). Synchronous unless a
   * recharge must be awaited; meanwhile the message holds its place in the count so decisions taken
   * during the wait see it, and a refusal gives the place back.
   */
  admitMessage(app: SnapshotApp, keyId: string | null, snapshotGeneratedAtMs: number): MessageAdmission | Promise<MessageAdmission> {
    const { counters } = this.options.state;
    const periodStartUnix = app.period.startUnix;
    const cap = app.limits.maxMessagesPerPeriod;
    const withinPlan = cap === null || counters.total(app.appId, periodStartUnix) < cap;
    const verdict = this.decide(app, "message", withinPlan, snapshotGeneratedAtMs);
    if (!(verdict instanceof Promise)) {
      if (verdict !== "refuse") counters.increment(app.appId, periodStartUnix, 1);
      return this.messageOutcome(app, keyId, verdict);
    }
    counters.increment(app.appId, periodStartUnix, 1);
    return verdict.then((decided) => {
      if (decided === "refuse") counters.increment(app.appId, periodStartUnix, -1);
      return this.messageOutcome(app, keyId, decided);
    });
  }

  private messageOutcome(app: SnapshotApp, keyId: string | null, verdict: Exclude<BillingVerdict, "recharge">): MessageAdmission {
    if (verdict !== "refuse") {
      this.options.meter.messageAccepted(app.appId, app.period.startUnix, keyId);
      return verdict === "allow" ? ALLOWED : ALLOWED_OVERAGE;
    }
    this.options.meter.softDrop(app.appId, app.period.startUnix);
    return REFUSED;
  }
}
