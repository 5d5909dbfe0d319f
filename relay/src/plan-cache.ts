// The plan cache (ARCHITECTURE §1): the relay's copy of every app's limits, billing state and keys,
// pulled from the control plane with ETag and kept on disk (sealed: it holds signing secrets) so a
// restart during an outage still enforces. Lookups are synchronous Map reads on the hot path.
import { createSecretKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import path from "node:path";
import type { ControlPlaneClient } from "./control-plane-client";
import { snapshotSchema } from "./protocol";
import type { Snapshot, SnapshotApp, SnapshotKey } from "./protocol";
import type { Logger } from "./log";
import { readSealedFile, writeSealedFile } from "./sealed-file";
import { unrefTimerAt } from "./timer-at";

const SNAPSHOT_FILE_PURPOSE = "relay plan snapshot";
/** A period's end is looked up this long after it passes, so that the control plane's clock has passed it too. */
const PERIOD_END_REFRESH_DELAY_MS = 500;
/** While a snapshot still shows the period that should have ended, it is asked for again after 1, 2, 4, … s, up to this. */
const PERIOD_END_RETRY_MAX_MS = 32_000;
const PERIOD_END_RETRY_FIRST_MS = 1_000;

export interface KeyEntry {
  app: SnapshotApp;
  key: SnapshotKey;
  /** A secret key's signing secret as an HMAC key, prepared once per snapshot (not per connect). */
  hmacKey?: KeyObject;
}

export interface PlanCacheOptions {
  controlPlane: ControlPlaneClient;
  /** Seals the snapshot on disk (it holds signing secrets). */
  relaySecret: string;
  dataDir: string;
  logger: Logger;
}

export type SnapshotListener = (snapshot: Snapshot, previous: Snapshot | null) => void;

export class PlanCache {
  private snapshot: Snapshot | null = null;
  private etag: string | null = null;
  private apps = new Map<string, SnapshotApp>();
  private keys = new Map<string, KeyEntry>();
  private listeners: SnapshotListener[] = [];
  private refreshing: Promise<boolean> | null = null;
  /** Fires a refresh when the earliest billing period in the snapshot ends. */
  private periodEndTimer: NodeJS.Timeout | null = null;
  /** The period end that timer was set for, while a refresh has not yet shown it turned. */
  private awaitedPeriodEndUnix: number | null = null;
  private periodEndRetryMs = PERIOD_END_RETRY_FIRST_MS;
  private closed = false;
  /** When a snapshot was last confirmed current by the control plane (fetched or 304). */
  lastConfirmedAtMs: number | null = null;
  private readonly filePath: string;

  constructor(private readonly options: PlanCacheOptions) {
    this.filePath = path.join(options.dataDir, "snapshot.json");
  }

  get current(): Snapshot | null {
    return this.snapshot;
  }

  get ready(): boolean {
    return this.snapshot !== null;
  }

  onChange(listener: SnapshotListener): void {
    this.listeners.push(listener);
  }

  app(appId: string): SnapshotApp | undefined {
    return this.apps.get(appId);
  }

  key(keyId: string): KeyEntry | undefined {
    return this.keys.get(keyId);
  }

  /** Loads the on-disk copy (used until the control plane answers). Returns whether one was found. */
  async loadFromDisk(): Promise<boolean> {
    const sealed = await readSealedFile(this.filePath, this.options.relaySecret, SNAPSHOT_FILE_PURPOSE);
    if (sealed.status === "missing") return false;
    if (sealed.status === "unreadable") {
      this.options.logger.warn("ignoring snapshot copy on disk: not sealed with this RELAY_SECRET", { file: this.filePath });
      return false;
    }
    try {
      const stored: unknown = JSON.parse(sealed.plaintext);
      const parsed = snapshotSchema.safeParse(stored);
      if (!parsed.success) {
        this.options.logger.warn("ignoring unreadable snapshot copy on disk", { file: this.filePath });
        return false;
      }
      this.apply(parsed.data, parsed.data.version);
      this.options.logger.info("loaded snapshot copy from disk", { version: parsed.data.version, apps: parsed.data.apps.length });
      return true;
    } catch {
      this.options.logger.warn("ignoring unparsable snapshot copy on disk", { file: this.filePath });
      return false;
    }
  }

  /**
   * Fetches the snapshot now (coalescing concurrent calls). Resolves true when the cache is current
   * (new snapshot or 304), false on any failure, in which case the last snapshot stays in force.
   */
  refreshNow(): Promise<boolean> {
    if (!this.refreshing) {
      this.refreshing = this.fetchOnce().finally(() => {
        this.refreshing = null;
        this.schedulePeriodEndRefresh();
      });
    }
    return this.refreshing;
  }

  /** Stops the period-end refreshes (shutdown). */
  close(): void {
    this.closed = true;
    if (this.periodEndTimer) clearTimeout(this.periodEndTimer);
  }

  /**
   * A billing period that ends brings the next period's quota, usage counts and any plan change due then:
   * the snapshot is fetched again as the earliest period in it ends, not at the next poll (up to
   * PLAN_CACHE_REFRESH_MS late, meanwhile refusing a quota that was renewed or billing the new period's
   * messages as the old one's overage). If the answer still shows that period (the control plane's clock
   * is behind, or it did not answer), it is asked again with a back-off; past that the poll remains.
   */
  private schedulePeriodEndRefresh(): void {
    if (this.periodEndTimer) clearTimeout(this.periodEndTimer);
    this.periodEndTimer = null;
    const apps = this.snapshot?.apps;
    if (this.closed || !apps) return;
    const nowMs = Date.now();
    let refreshAtMs: number;
    const awaited = this.awaitedPeriodEndUnix;
    const awaitedStillShown = awaited !== null && awaited * 1000 <= nowMs && apps.some((app) => app.period.endUnix === awaited);
    if (awaitedStillShown && this.periodEndRetryMs <= PERIOD_END_RETRY_MAX_MS) {
      refreshAtMs = nowMs + this.periodEndRetryMs;
      this.periodEndRetryMs *= 2;
    } else {
      let nextEndUnix = Infinity;
      for (const app of apps) if (app.period.endUnix * 1000 > nowMs && app.period.endUnix < nextEndUnix) nextEndUnix = app.period.endUnix;
      this.periodEndRetryMs = PERIOD_END_RETRY_FIRST_MS;
      this.awaitedPeriodEndUnix = Number.isFinite(nextEndUnix) ? nextEndUnix : null;
      if (this.awaitedPeriodEndUnix === null) return;
      refreshAtMs = nextEndUnix * 1000 + PERIOD_END_REFRESH_DELAY_MS;
    }
    this.periodEndTimer = unrefTimerAt(refreshAtMs, () => void this.refreshNow());
  }

  /**
   * Like refreshNow, but never joins a fetch that was already under way (it may predate the change the
   * caller is looking for): waits for it, then fetches again.
   */
  async refreshFromNow(): Promise<boolean> {
    await this.refreshing;
    return this.refreshNow();
  }

  private async fetchOnce(): Promise<boolean> {
    const result = await this.options.controlPlane.snapshot(this.etag);
    if (!result.ok) {
      if (result.kind === "contract") this.options.logger.error("snapshot did not match the contract; enforcing last snapshot", { issues: result.issues });
      else if (result.kind === "status") this.options.logger.warn("snapshot fetch failed; enforcing last snapshot", { status: result.status });
      else this.options.logger.warn("control plane unreachable; enforcing last snapshot", { error: result.error });
      return false;
    }
    this.lastConfirmedAtMs = Date.now();
    if (result.notModified) return true;
    if (this.snapshot && this.snapshot.version === result.snapshot.version) {
      this.etag = result.etag;
      return true;
    }
    this.apply(result.snapshot, result.etag);
    await this.persist(result.snapshot);
    return true;
  }

  private apply(snapshot: Snapshot, etag: string): void {
    const previous = this.snapshot;
    const apps = new Map<string, SnapshotApp>();
    const keys = new Map<string, KeyEntry>();
    for (const app of snapshot.apps) {
      apps.set(app.appId, app);
      for (const key of app.keys) {
        const entry: KeyEntry = { app, key };
        if (key.kind === "secret" && key.signingSecret) entry.hmacKey = createSecretKey(Buffer.from(key.signingSecret, "utf8"));
        keys.set(key.keyId, entry);
      }
    }
    this.snapshot = snapshot;
    this.etag = etag;
    this.apps = apps;
    this.keys = keys;
    for (const listener of this.listeners) {
      try {
        listener(snapshot, previous);
      } catch (error) {
        this.options.logger.error("snapshot listener failed", { error: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  private async persist(snapshot: Snapshot): Promise<void> {
    try {
      await writeSealedFile(this.filePath, JSON.stringify(snapshot), this.options.relaySecret, SNAPSHOT_FILE_PURPOSE);
    } catch (error) {
      this.options.logger.error("could not persist snapshot copy", { error: error instanceof Error ? error.message : String(error) });
    }
  }
}
