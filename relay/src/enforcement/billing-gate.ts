// The quota/overage/balance/auto-recharge matrix of PROTOCOL §6, for new connections and for
// publish/send. The gate only talks to the state seam (leases, counters), the plan cache and the
// meter. Balances are tracked in thousandths of a minor unit so per-message overage prices
// (priced per 1,000 messages) stay integers.
import { ControlPlanePath, INTERNAL_AUTH_HEADER, rechargeResponseSchema } from "../protocol";
import type { SnapshotApp } from "../protocol";
import type { Logger } from "../log";
import type { Meter } from "../metering";
import type { RelayState } from "../state/types";

export type ConnectionAdmission = { admitted: true; overage: boolean; count: number } | { admitted: false };
export type MessageAdmission = { allowed: true; overage: boolean } | { allowed: false };
type OverageUnit = "message" | "connection";

const ALLOWED: MessageAdmission = { allowed: true, overage: false };
const ALLOWED_OVERAGE: MessageAdmission = { allowed: true, overage: true };
const REFUSED: MessageAdmission = { allowed: false };

export interface BillingGateOptions {
  state: RelayState;
  meter: Meter;
  controlPlaneUrl: string;
  relaySecret: string;
  rechargeTimeoutMs: number;
  rechargeRetryCooldownMs: number;
  logger: Logger;
}

interface BalanceView {
  balanceMinor: number;
  /** As of when (the control plane's clock for usage acknowledgements); a snapshot generated later supersedes it. */
  reportedAtMs: number;
}

export class BillingGate {
  private readonly reportedBalances = new Map<string, BalanceView>();
  private readonly recharges = new Map<string, Promise<boolean>>();
  private readonly rechargeRefusedUntilMs = new Map<string, number>();

  constructor(private readonly options: BillingGateOptions) {}

  /**
   * A balance from a usage acknowledgement (`asOfMs`: the control plane's clock once the batch was
   * committed, so a snapshot generated before it, arriving later, cannot bring back an undebited
   * balance) or a recharge answer.
   */
  reportBalance(appId: string, balanceMinor: number, asOfMs: number = Date.now()): void {
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

  /**
   * Decides an over-plan unit: overages off → refused; balance covers it → charged; balance
   * exhausted → one recharge attempt (coalesced per app, bounded wait) when auto-recharge is on.
   */
  private overage(app: SnapshotApp, unit: OverageUnit, snapshotGeneratedAtMs: number): boolean | Promise<boolean> {
    if (!app.billing.overagesAllowed || !app.billing.overagesEnabled) return false;
    const cost = this.costMilli(app, unit);
    if (this.estimatedBalanceMilli(app, snapshotGeneratedAtMs) - cost >= 0) {
      this.options.meter.overage(app.appId, app.period.startUnix, unit, cost);
      return true;
    }
    const recharge = this.rechargeIfAllowed(app, unit);
    if (!recharge) return false;
    return recharge.then((recharged) => {
      if (!recharged || this.estimatedBalanceMilli(app, snapshotGeneratedAtMs) - cost < 0) return false;
      this.options.meter.overage(app.appId, app.period.startUnix, unit, cost);
      return true;
    });
  }

  /**
   * A within-plan unit of a pay-as-you-go app past its free allowance: the control plane prices it
   * from the metered usage, so the gate only asks for a positive balance (or a successful recharge).
   */
  private funded(app: SnapshotApp, unit: OverageUnit, snapshotGeneratedAtMs: number): boolean | Promise<boolean> {
    if (!app.billing.usageBilledFromBalance || this.estimatedBalanceMilli(app, snapshotGeneratedAtMs) > 0) return true;
    const recharge = this.rechargeIfAllowed(app, unit);
    if (!recharge) return false;
    return recharge.then((recharged) => recharged && this.estimatedBalanceMilli(app, snapshotGeneratedAtMs) > 0);
  }

  /** null when auto-recharge is off, or a recent attempt was refused and its cooldown still runs. */
  private rechargeIfAllowed(app: SnapshotApp, unit: OverageUnit): Promise<boolean> | null {
    if (!app.billing.autoRechargeEnabled) return null;
    if ((this.rechargeRefusedUntilMs.get(app.appId) ?? 0) > Date.now()) return null;
    return this.recharge(app.appId, unit);
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
    try {
      const response = await fetch(this.options.controlPlaneUrl + ControlPlanePath.recharge, {
        method: "POST",
        headers: { [INTERNAL_AUTH_HEADER]: `Bearer ${this.options.relaySecret}`, "content-type": "application/json" },
        body: JSON.stringify({ appId, reason }),
        signal: AbortSignal.timeout(this.options.rechargeTimeoutMs),
      });
      const parsed = response.ok ? rechargeResponseSchema.safeParse(await response.json()) : null;
      if (!parsed || !parsed.success) {
        await response.body?.cancel().catch(() => undefined);
        throw new Error(`recharge answered ${response.status}`);
      }
      this.reportBalance(appId, parsed.data.balanceMinor);
      if (!parsed.data.recharged) {
        this.rechargeRefusedUntilMs.set(appId, Date.now() + this.options.rechargeRetryCooldownMs);
        this.options.logger.info("auto-recharge refused", { appId, reason: parsed.data.reason ?? "unspecified" });
      }
      return parsed.data.recharged;
    } catch (error) {
      this.rechargeRefusedUntilMs.set(appId, Date.now() + this.options.rechargeRetryCooldownMs);
      this.options.logger.warn("auto-recharge failed", { appId, error: error instanceof Error ? error.message : String(error) });
      return false;
    }
  }

  /** The concurrency gate: a lease within the cap, else an overage lease when the matrix allows one. */
  async admitConnection(app: SnapshotApp, connectionId: string, snapshotGeneratedAtMs: number): Promise<ConnectionAdmission> {
    if (!(await this.funded(app, "connection", snapshotGeneratedAtMs))) return { admitted: false };
    const { leases } = this.options.state;
    const withinCap = await leases.acquire(app.appId, connectionId, app.limits.maxConcurrentConnections);
    if (withinCap.acquired) return { admitted: true, overage: false, count: withinCap.count };
    if (!(await this.overage(app, "connection", snapshotGeneratedAtMs))) return { admitted: false };
    const forced = await leases.acquire(app.appId, connectionId, null);
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
    const decision = withinPlan ? this.funded(app, "message", snapshotGeneratedAtMs) : this.overage(app, "message", snapshotGeneratedAtMs);
    const allowed = withinPlan ? ALLOWED : ALLOWED_OVERAGE;
    if (typeof decision === "boolean") {
      if (decision) counters.increment(app.appId, periodStartUnix, 1);
      return this.messageOutcome(app, keyId, decision, allowed);
    }
    counters.increment(app.appId, periodStartUnix, 1);
    return decision.then((decided) => {
      if (!decided) counters.increment(app.appId, periodStartUnix, -1);
      return this.messageOutcome(app, keyId, decided, allowed);
    });
  }

  private messageOutcome(app: SnapshotApp, keyId: string | null, accepted: boolean, allowed: MessageAdmission): MessageAdmission {
    if (accepted) {
      this.options.meter.messageAccepted(app.appId, app.period.startUnix, keyId);
      return allowed;
    }
    this.options.meter.softDrop(app.appId, app.period.startUnix);
    return REFUSED;
  }
}
