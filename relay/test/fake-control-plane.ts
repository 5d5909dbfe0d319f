// The control plane's internal API, faked over real HTTP for relay tests: app states by key id or app
// ids (with periods that renew by the clock), the change feed (a version per app), exactly-once usage
// batches folded into the apps' usage, recharge.
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { ControlPlanePath, appStateRequestSchema, usageBatchSchema } from "../src/protocol";
import type { SnapshotApp, UsageBatch } from "../src/protocol";

export const RELAY_SECRET = "test-relay-secret-0123456789abcdef0123456789";

export interface RechargeBehaviour {
  recharged: boolean;
  balanceMinor: number;
  delayMs?: number;
}

/** The control plane's internal API, faked: app states, the change feed, exactly-once usage batches, recharge. */
export class FakeControlPlane {
  apps: SnapshotApp[] = [];
  /** The change feed's head; each app's entry is the version of its last change. */
  version = 1;
  private readonly appVersions = new Map<string, number>();
  down = false;
  readonly batches: UsageBatch[] = [];
  readonly appliedBatchIds = new Set<string>();
  /** Every batch id posted, refused attempts included, in order. */
  readonly attemptedBatchIds: string[] = [];
  readonly rechargeRequests: Array<{ appId: string; reason: string }> = [];
  recharge: RechargeBehaviour = { recharged: false, balanceMinor: 0 };
  usageStatus = 200;
  /** App-state requests, and the app ids / key ids they named. */
  appStateRequests = 0;
  readonly appStateRequestsFor: string[] = [];
  feedPolls = 0;
  /** Answers app-state requests this much later, with the apps as they were when the request came in. */
  appStateDelayMs = 0;
  /** Apps whose billing period renews when it ends (`renewPeriodsOf`), as the real control plane's clock makes it. */
  private readonly renewingApps = new Set<string>();
  /** How far the control plane's clock is behind the relay's when it renews periods. */
  clockLagMs = 0;
  /** Messages used in periods that have ended, by `appId:periodStartUnix`. */
  private readonly endedPeriodMessages = new Map<string, number>();
  private server: Server | null = null;
  url = "";

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", () => resolve()));
    const address = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${address.port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Replaces the apps; the ones added, removed or replaced enter the change feed. */
  setApps(apps: SnapshotApp[]): void {
    this.version += 1;
    const before = new Map(this.apps.map((app) => [app.appId, app]));
    for (const app of apps) if (before.get(app.appId) !== app) this.appVersions.set(app.appId, this.version);
    for (const appId of before.keys()) if (!apps.some((app) => app.appId === appId)) this.appVersions.set(appId, this.version);
    this.apps = apps;
  }

  /**
   * From now on the app's period renews when it ends: a state served after its end shows the next
   * period (same length) with fresh usage, and usage batches still naming the ended period count there.
   */
  renewPeriodsOf(appId: string): void {
    this.renewingApps.add(appId);
  }

  private renewEndedPeriods(nowMs: number): void {
    for (const app of this.apps) {
      if (!this.renewingApps.has(app.appId)) continue;
      while (app.period.endUnix * 1000 <= nowMs) {
        this.endedPeriodMessages.set(`${app.appId}:${app.period.startUnix}`, app.usage.messagesUsed);
        app.period = { startUnix: app.period.endUnix, endUnix: 2 * app.period.endUnix - app.period.startUnix };
        app.usage = { messagesUsed: 0, overageMessages: 0, overageConnections: 0, peakConcurrent: 0 };
      }
    }
  }

  /** Mutates one app and records the change in the feed. */
  update(appId: string, change: (app: SnapshotApp) => void): void {
    const app = this.apps.find((a) => a.appId === appId);
    if (!app) throw new Error(`no app ${appId}`);
    change(app);
    this.version += 1;
    this.appVersions.set(appId, this.version);
  }

  private stateOf(app: SnapshotApp): SnapshotApp {
    return { ...app, version: String(this.appVersions.get(app.appId) ?? 0) };
  }

  /** Applied usage of an app summed over accepted batches. */
  applied(appId: string): { messagesAccepted: number; deliveredMessages: number; softDrops: number; overageMessages: number; overageConnections: number; connectionMinutes: number } {
    const total = { messagesAccepted: 0, deliveredMessages: 0, softDrops: 0, overageMessages: 0, overageConnections: 0, connectionMinutes: 0 };
    for (const batch of this.batches) {
      for (const app of batch.apps) {
        if (app.appId !== appId) continue;
        total.messagesAccepted += app.messagesAccepted;
        total.deliveredMessages += app.deliveredMessages;
        total.softDrops += app.softDrops;
        total.overageMessages += app.overageMessages;
        total.overageConnections += app.overageConnections;
        total.connectionMinutes += app.connectionMinutes;
      }
    }
    return total;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.down) {
      res.destroy();
      return;
    }
    if (req.headers.authorization !== `Bearer ${RELAY_SECRET}`) {
      res.writeHead(401).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    const body = Buffer.concat(chunks).toString("utf8");
    if (req.url === ControlPlanePath.appStates && req.method === "POST") {
      this.appStateRequests += 1;
      const request = appStateRequestSchema.parse(JSON.parse(body));
      this.appStateRequestsFor.push(...("keyId" in request ? [request.keyId] : request.appIds));
      this.renewEndedPeriods(Date.now() - this.clockLagMs);
      const apps = "keyId" in request ? this.apps.filter((app) => app.keys.some((key) => key.keyId === request.keyId)) : this.apps.filter((app) => request.appIds.includes(app.appId));
      const answer = JSON.stringify({ generatedAtUnixMs: Date.now(), apps: apps.map((app) => this.stateOf(app)) });
      if (this.appStateDelayMs > 0) await sleep(this.appStateDelayMs);
      res.writeHead(200, { "content-type": "application/json" }).end(answer);
      return;
    }
    if (req.url?.startsWith(ControlPlanePath.changes) && req.method === "GET") {
      this.feedPolls += 1;
      const since = new URL(req.url, "http://fake.invalid").searchParams.get("since");
      const changes = since === null ? [] : [...this.appVersions].filter(([, version]) => version > Number(since)).map(([appId, version]) => ({ appId, version: String(version) }));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ cursor: String(this.version), changes, more: false }));
      return;
    }
    if (req.url === ControlPlanePath.usage && req.method === "POST") {
      this.attemptedBatchIds.push(usageBatchSchema.parse(JSON.parse(body)).batchId);
      if (this.usageStatus !== 200) {
        res.writeHead(this.usageStatus).end();
        return;
      }
      const batch = usageBatchSchema.parse(JSON.parse(body));
      const applied = !this.appliedBatchIds.has(batch.batchId);
      if (applied) {
        this.appliedBatchIds.add(batch.batchId);
        this.batches.push(batch);
        // Fold usage into the apps as the real control plane does, so the next app state's baseline
        // contains it, and debit overage units at the plan's prices (lib/billing/pricing.ts). Usage is
        // not a change in the feed.
        for (const delta of batch.apps) {
          const app = this.apps.find((a) => a.appId === delta.appId);
          if (!app) continue;
          const endedPeriod = `${app.appId}:${delta.periodStartUnix}`;
          const endedPeriodMessages = this.endedPeriodMessages.get(endedPeriod);
          if (endedPeriodMessages !== undefined) {
            this.endedPeriodMessages.set(endedPeriod, endedPeriodMessages + delta.messagesAccepted);
            continue;
          }
          const overageMessagesBefore = app.usage.overageMessages;
          app.usage.messagesUsed += delta.messagesAccepted;
          app.usage.overageMessages += delta.overageMessages;
          app.usage.overageConnections += delta.overageConnections;
          const price = app.billing.overagePricePer1000MessagesMinor;
          const messagesMinor = Math.floor((app.usage.overageMessages * price) / 1000) - Math.floor((overageMessagesBefore * price) / 1000);
          app.billing.balanceMinor -= messagesMinor + delta.overageConnections * app.billing.overagePricePerConnectionMinor;
        }
      }
      const apps = batch.apps.map((a) => ({ appId: a.appId, balanceMinor: this.apps.find((x) => x.appId === a.appId)?.billing.balanceMinor ?? 0 }));
      const periods = batch.apps.flatMap((a) => {
        const app = this.apps.find((x) => x.appId === a.appId);
        const messagesUsed = this.endedPeriodMessages.get(`${a.appId}:${a.periodStartUnix}`) ?? app?.usage.messagesUsed;
        return app && messagesUsed !== undefined ? [{ appId: a.appId, periodStartUnix: a.periodStartUnix, messagesUsed }] : [];
      });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ applied, apps, periods, asOfUnixMs: Date.now() }));
      return;
    }
    if (req.url === ControlPlanePath.recharge && req.method === "POST") {
      const request = JSON.parse(body) as { appId: string; reason: string };
      this.rechargeRequests.push(request);
      const behaviour = this.recharge;
      if (behaviour.delayMs) await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
      if (behaviour.recharged) {
        const app = this.apps.find((a) => a.appId === request.appId);
        if (app) app.billing.balanceMinor = behaviour.balanceMinor;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ recharged: behaviour.recharged, balanceMinor: behaviour.balanceMinor, asOfUnixMs: Date.now() }));
      return;
    }
    res.writeHead(404).end();
  }
}
