// The plan cache (docs/ARCHITECTURE.md §1): the enforcement state (limits, billing state, period, keys)
// of the apps this node serves, and only those. An app is looked up when a connection names one of its
// keys (or the control plane asks this node about it), kept while it has connections here and for
// `appLingerMs` after, then dropped. Changes arrive through the control plane's change feed: a poll asks
// "what changed after my cursor" and only apps held here are asked for again. What is held is kept on
// disk (sealed: it holds signing secrets) so a restart during an outage still enforces it. Lookups of
// held keys are synchronous Map reads on the hot path.
import { createSecretKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import type { ControlPlaneClient, ControlPlaneFailure } from "./control-plane-client";
import { describeFailure } from "./control-plane-client";
import { HeldAppsCopy } from "./held-apps-copy";
import { APP_STATES_MAX_APPS } from "./protocol";
import type { AppStateRequest, SnapshotApp, SnapshotKey } from "./protocol";
import type { Logger } from "./log";
import { unrefTimerAt } from "./timer-at";

/** A period's end (or a state's clock-driven change) is looked up this long after it passes, so the control plane's clock has passed it too. */
const PERIOD_END_REFRESH_DELAY_MS = 500;
/** While the answer still shows the moment that should have passed, it is asked for again after 1, 2, 4, … s, up to this. */
const PERIOD_END_RETRY_MAX_MS = 32_000;
const PERIOD_END_RETRY_FIRST_MS = 1_000;
/** A relay that does not know where it stands in the change feed (started before the control plane answered) asks again after this, doubling. */
const NOT_READY_RETRY_FIRST_MS = 250;
const NOT_READY_RETRY_MAX_MS = 5_000;
/** Most unknown key ids remembered at once (the oldest is forgotten first): random ids cannot grow memory. */
const MAX_UNKNOWN_KEYS = 10_000;

export interface KeyEntry {
  app: SnapshotApp;
  key: SnapshotKey;
  /** A secret key's signing secret as an HMAC key, prepared once per app state (not per connect). */
  hmacKey?: KeyObject;
}

/** A lookup's outcome: `unavailable` when the control plane did not answer (an outage), never a guess. */
export type Lookup<T> = { kind: "found"; value: T } | { kind: "unknown" } | { kind: "unavailable" };

interface HeldApp {
  app: SnapshotApp;
  keyIds: string[];
  /** The control plane's database clock when it answered (balances reported later supersede this state's). */
  generatedAtMs: number;
  /** When a connection (or a lookup) last used it; dropped `appLingerMs` after, once it has none. */
  lastUsedMs: number;
  /** Asks for the app again when its period ends or its state changes by the clock. */
  timer: NodeJS.Timeout | null;
  /** The moment that timer waits for, while an answer has not yet shown it passed. */
  awaitedUnix: number | null;
  retryMs: number;
}


export interface PlanCacheOptions {
  controlPlane: ControlPlaneClient;
  /** Seals the copy on disk (it holds signing secrets). */
  relaySecret: string;
  dataDir: string;
  logger: Logger;
  appLingerMs: number;
  unknownKeyCacheMs: number;
  periodEndSpreadMs: number;
  /** Whether the app has connections on this node (held apps that have none are dropped after the linger). */
  inUse: (appId: string) => boolean;
}

/** Apps (re)loaded, and apps that no longer exist (deleted). */
export type HeldAppsListener = (loaded: SnapshotApp[], removed: string[]) => void;

export class PlanCache {
  private readonly held = new Map<string, HeldApp>();
  private readonly keys = new Map<string, KeyEntry>();
  /** Key ids the control plane did not know, until when (ms) they are refused without asking. */
  private readonly unknownKeys = new Map<string, number>();
  private readonly keyLookups = new Map<string, Promise<Lookup<KeyEntry>>>();
  private readonly appLookups = new Map<string, Promise<Lookup<SnapshotApp>>>();
  /** Apps the feed named while each lookup was under way: its answer may predate the change. */
  private readonly changedDuringLookups = new Set<Set<string>>();
  /** Held apps to ask for again (changed in the feed, period ended, loaded from disk). */
  private readonly stale = new Set<string>();
  private staleFetch: Promise<boolean> | null = null;
  private cursor: string | null = null;
  private listeners: HeldAppsListener[] = [];
  private polling: Promise<boolean> | null = null;
  private pollAgain = false;
  private lastPollOk = false;
  private sweepTimer: NodeJS.Timeout | null = null;
  private notReadyRetryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** When the control plane last answered a poll. */
  lastConfirmedAtMs: number | null = null;
  private readonly copy: HeldAppsCopy;

  constructor(private readonly options: PlanCacheOptions) {
    this.copy = new HeldAppsCopy(options, () => ({
      cursor: this.cursor,
      apps: [...this.held.values()].map((held) => ({ app: held.app, generatedAtMs: held.generatedAtMs })),
    }));
  }

  /** Ready once it knows where it stands in the change feed (from the control plane or the copy on disk). */
  get ready(): boolean {
    return this.cursor !== null;
  }

  onChange(listener: HeldAppsListener): void {
    this.listeners.push(listener);
  }

  app(appId: string): SnapshotApp | undefined {
    return this.held.get(appId)?.app;
  }

  /** The held key; a find counts as a use of its app (a connection is on its way). */
  key(keyId: string): KeyEntry | undefined {
    const entry = this.keys.get(keyId);
    const held = entry && this.held.get(entry.app.appId);
    if (held) held.lastUsedMs = Date.now();
    return entry;
  }

  *apps(): IterableIterator<SnapshotApp> {
    for (const held of this.held.values()) yield held.app;
  }

  /** When the control plane produced the app's state (0 when not held): balances reported later supersede it. */
  generatedAtMs(appId: string): number {
    return this.held.get(appId)?.generatedAtMs ?? 0;
  }

  /** The key, looked up from the control plane when no held app has it (one lookup for concurrent asks). */
  lookupKey(keyId: string): Promise<Lookup<KeyEntry>> | Lookup<KeyEntry> {
    const entry = this.key(keyId);
    if (entry) return { kind: "found", value: entry };
    const unknownUntil = this.unknownKeys.get(keyId);
    if (unknownUntil !== undefined && unknownUntil > Date.now()) return { kind: "unknown" };
    let lookup = this.keyLookups.get(keyId);
    if (!lookup) {
      lookup = this.fetchHeld({ keyId }).then((result): Lookup<KeyEntry> => {
        if (result.kind !== "found") return result;
        const found = this.keys.get(keyId);
        if (found) return { kind: "found", value: found };
        this.rememberUnknown(keyId);
        return { kind: "unknown" };
      });
      this.keyLookups.set(keyId, lookup);
      void lookup.finally(() => this.keyLookups.delete(keyId));
    }
    return lookup;
  }

  /** The app, looked up when not held (the control plane asks this node about it). */
  lookupApp(appId: string): Promise<Lookup<SnapshotApp>> | Lookup<SnapshotApp> {
    const held = this.held.get(appId);
    if (held) {
      held.lastUsedMs = Date.now();
      return { kind: "found", value: held.app };
    }
    let lookup = this.appLookups.get(appId);
    if (!lookup) {
      lookup = this.fetchHeld({ appIds: [appId] }).then((result): Lookup<SnapshotApp> => {
        if (result.kind !== "found") return result;
        const app = this.held.get(appId)?.app;
        return app ? { kind: "found", value: app } : { kind: "unknown" };
      });
      this.appLookups.set(appId, lookup);
      void lookup.finally(() => this.appLookups.delete(appId));
    }
    return lookup;
  }

  private rememberUnknown(keyId: string): void {
    if (this.unknownKeys.size >= MAX_UNKNOWN_KEYS) {
      const oldest = this.unknownKeys.keys().next().value;
      if (oldest !== undefined) this.unknownKeys.delete(oldest);
    }
    this.unknownKeys.set(keyId, Date.now() + this.options.unknownKeyCacheMs);
  }

  /** Asks for apps and holds what comes back; `found` when the control plane answered. */
  private async fetchHeld(request: AppStateRequest): Promise<{ kind: "found" } | { kind: "unknown" } | { kind: "unavailable" }> {
    const changedMeanwhile = new Set<string>();
    this.changedDuringLookups.add(changedMeanwhile);
    const result = await this.options.controlPlane.appStates(request);
    this.changedDuringLookups.delete(changedMeanwhile);
    if (!result.ok) {
      this.logFailure("app state lookup failed", result);
      // A refused request (a key id the control plane rejects as malformed) is an unknown key, not an outage.
      if (result.kind === "status" && result.status >= 400 && result.status < 500) {
        if ("keyId" in request) this.rememberUnknown(request.keyId);
        return { kind: "unknown" };
      }
      return { kind: "unavailable" };
    }
    if (result.value.apps.length === 0) {
      if ("keyId" in request) this.rememberUnknown(request.keyId);
      return { kind: "unknown" };
    }
    this.hold(result.value.apps, result.value.generatedAtUnixMs);
    for (const app of result.value.apps) if (changedMeanwhile.has(app.appId)) this.markStale(app.appId);
    return { kind: "found" };
  }

  private hold(apps: SnapshotApp[], generatedAtMs: number): void {
    const nowMs = Date.now();
    for (const app of apps) {
      const previous = this.held.get(app.appId);
      if (previous) for (const keyId of previous.keyIds) this.keys.delete(keyId);
      const held: HeldApp = {
        app,
        keyIds: app.keys.map((key) => key.keyId),
        generatedAtMs,
        lastUsedMs: nowMs,
        timer: previous?.timer ?? null,
        awaitedUnix: previous?.awaitedUnix ?? null,
        retryMs: previous?.retryMs ?? PERIOD_END_RETRY_FIRST_MS,
      };
      for (const key of app.keys) {
        const entry: KeyEntry = { app, key };
        if (key.kind === "secret" && key.signingSecret) entry.hmacKey = createSecretKey(Buffer.from(key.signingSecret, "utf8"));
        this.keys.set(key.keyId, entry);
        this.unknownKeys.delete(key.keyId);
      }
      this.held.set(app.appId, held);
      this.scheduleClockRefresh(held);
    }
    this.changed(apps, []);
  }

  private release(appIds: string[], deleted: boolean): void {
    for (const appId of appIds) {
      const held = this.held.get(appId);
      if (!held) continue;
      if (held.timer) clearTimeout(held.timer);
      for (const keyId of held.keyIds) this.keys.delete(keyId);
      this.held.delete(appId);
      this.stale.delete(appId);
    }
    if (deleted) this.changed([], appIds);
    else this.copy.schedule();
  }

  private changed(loaded: SnapshotApp[], removed: string[]): void {
    for (const listener of this.listeners) {
      try {
        listener(loaded, removed);
      } catch (error) {
        this.options.logger.error("plan cache listener failed", { error: error instanceof Error ? error.message : String(error) });
      }
    }
    this.copy.schedule();
  }

  /**
   * A period that ends brings the next period's quota and any plan change due then; a past-due grace
   * that ends brings Free's limits. The app is asked for again then, after a random part of
   * `periodEndSpreadMs` so the relays holding it do not all ask at once. If the answer still shows that
   * moment (the control plane's clock is behind), it is asked again with a back-off, a few times.
   */
  private scheduleClockRefresh(held: HeldApp): void {
    if (held.timer) clearTimeout(held.timer);
    held.timer = null;
    if (this.closed) return;
    const nowMs = Date.now();
    const dueUnix = Math.min(held.app.period.endUnix, held.app.changesAtUnix ?? Infinity);
    let refreshAtMs: number;
    if (held.awaitedUnix === dueUnix && dueUnix * 1000 <= nowMs) {
      if (held.retryMs > PERIOD_END_RETRY_MAX_MS) return;
      refreshAtMs = nowMs + held.retryMs;
      held.retryMs *= 2;
    } else {
      held.retryMs = PERIOD_END_RETRY_FIRST_MS;
      // A moment already past when the state arrived is the control plane's to have handled.
      held.awaitedUnix = dueUnix * 1000 > nowMs ? dueUnix : null;
      if (held.awaitedUnix === null) return;
      refreshAtMs = dueUnix * 1000 + PERIOD_END_REFRESH_DELAY_MS + Math.random() * this.options.periodEndSpreadMs;
    }
    const appId = held.app.appId;
    held.timer = unrefTimerAt(refreshAtMs, () => {
      held.timer = null;
      this.markStale(appId);
    });
  }

  /** Asks for a held app again soon (with any others due now, in one call). */
  private markStale(appId: string): void {
    if (!this.held.has(appId)) return;
    this.stale.add(appId);
    if (!this.staleFetch) setImmediate(() => void this.refetchStale());
  }

  /** Asks for every stale app, APP_STATES_MAX_APPS per call; false when the control plane did not answer (they stay stale). */
  private refetchStale(): Promise<boolean> {
    if (this.staleFetch) return this.staleFetch;
    const fetching = (async () => {
      while (this.stale.size > 0 && !this.closed) {
        const appIds = [...this.stale].slice(0, APP_STATES_MAX_APPS);
        const result = await this.options.controlPlane.appStates({ appIds });
        if (!result.ok) {
          this.logFailure("app state refresh failed; enforcing what is held", result);
          return false;
        }
        for (const appId of appIds) this.stale.delete(appId);
        const answered = new Set(result.value.apps.map((app) => app.appId));
        // Only apps still held: one dropped meanwhile stays dropped.
        const stillHeld = result.value.apps.filter((app) => this.held.has(app.appId));
        if (stillHeld.length > 0) this.hold(stillHeld, result.value.generatedAtUnixMs);
        const deleted = appIds.filter((appId) => !answered.has(appId) && this.held.has(appId));
        if (deleted.length > 0) this.release(deleted, true);
      }
      return true;
    })().finally(() => {
      if (this.staleFetch === fetching) this.staleFetch = null;
    });
    this.staleFetch = fetching;
    return fetching;
  }

  /** Loads the copy on disk (used until the control plane answers). Returns whether one was found. */
  async loadFromDisk(): Promise<boolean> {
    const stored = await this.copy.read();
    if (!stored) return false;
    this.cursor = stored.cursor;
    for (const { app, generatedAtMs } of stored.apps) this.hold([app], generatedAtMs);
    // Their usage baselines and anything the feed missed are brought up to date at the first poll.
    for (const { app } of stored.apps) this.stale.add(app.appId);
    this.options.logger.info("loaded app state copy from disk", { apps: stored.apps.length });
    return true;
  }

  /** Starts dropping idle apps (every half linger). */
  start(): void {
    this.sweepTimer = setInterval(() => this.dropIdle(), Math.max(10, Math.floor(this.options.appLingerMs / 2)));
    this.sweepTimer.unref();
    this.retryUntilReady(NOT_READY_RETRY_FIRST_MS);
  }

  /**
   * Until the relay knows where it stands in the change feed it serves nobody new, so it asks again soon
   * (doubling up to 5 s) instead of waiting for the next regular poll: a relay started beside a control
   * plane that is still starting is ready moments after the control plane is.
   */
  private retryUntilReady(delayMs: number): void {
    if (this.ready || this.closed) return;
    this.notReadyRetryTimer = setTimeout(() => {
      void this.refreshNow().then(() => this.retryUntilReady(Math.min(delayMs * 2, NOT_READY_RETRY_MAX_MS)));
    }, delayMs);
    this.notReadyRetryTimer.unref();
  }

  /** Drops apps without connections here since `appLingerMs`; never during an outage (they could not come back). */
  private dropIdle(nowMs: number = Date.now()): void {
    if (!this.lastPollOk) return;
    const idle: string[] = [];
    for (const [appId, held] of this.held) {
      if (this.options.inUse(appId)) held.lastUsedMs = nowMs;
      else if (nowMs - held.lastUsedMs >= this.options.appLingerMs) idle.push(appId);
    }
    if (idle.length > 0) this.release(idle, false);
  }

  /**
   * Polls the change feed now and asks again for the held apps it names (and any still stale). A poll
   * asked for while one runs queues exactly one more after it (the running one may predate the change
   * it is told about). Resolves true when everything held is current, false when the control plane did
   * not answer (what is held stays in force).
   */
  refreshNow(): Promise<boolean> {
    if (this.polling) {
      this.pollAgain = true;
      return this.polling;
    }
    this.polling = (async () => {
      let ok: boolean;
      do {
        this.pollAgain = false;
        ok = await this.pollOnce();
      } while (this.pollAgain && !this.closed);
      return ok;
    })().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  private async pollOnce(): Promise<boolean> {
    let cursor = this.cursor;
    const named = new Set<string>();
    for (;;) {
      const result = await this.options.controlPlane.changes(cursor);
      if (!result.ok) {
        this.lastPollOk = false;
        this.logFailure("change feed poll failed; enforcing what is held", result);
        return false;
      }
      for (const change of result.value.changes) {
        for (const meanwhile of this.changedDuringLookups) meanwhile.add(change.appId);
        const held = this.held.get(change.appId);
        if (held && BigInt(change.version) > BigInt(held.app.version)) named.add(change.appId);
      }
      // A cursor was read: with nothing held the head is all a relay needs.
      if (cursor === null) {
        cursor = result.value.cursor;
        break;
      }
      cursor = result.value.cursor;
      if (!result.value.more) break;
    }
    for (const appId of named) this.stale.add(appId);
    // The cursor moves only once what it passed is applied: a failed refresh is asked for again.
    const current = await this.refetchStale();
    this.lastPollOk = current;
    if (!current) return false;
    this.lastConfirmedAtMs = Date.now();
    if (cursor !== this.cursor) {
      this.cursor = cursor;
      this.copy.schedule();
    }
    return true;
  }

  private logFailure(message: string, failure: ControlPlaneFailure): void {
    if (failure.kind === "contract") this.options.logger.error(`${message} (answer off the contract)`, describeFailure(failure));
    else this.options.logger.warn(message, describeFailure(failure));
  }

  /** Stops the timers (shutdown) and writes what is held. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.notReadyRetryTimer) clearTimeout(this.notReadyRetryTimer);
    for (const held of this.held.values()) if (held.timer) clearTimeout(held.timer);
    await this.copy.close();
  }
}
