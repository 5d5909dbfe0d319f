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

const SNAPSHOT_FILE_PURPOSE = "relay plan snapshot";

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
      });
    }
    return this.refreshing;
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
