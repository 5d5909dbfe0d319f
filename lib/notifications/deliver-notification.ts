// The delivery worker: drains the notification outbox (NotificationDelivery rows written with their
// event by emit-app-event.ts), so the usage flush path never waits on SMTP or a customer's server.
// It is a continuous pool: up to `maxInFlight` deliveries run at once, at most `maxInFlightPerTenant`
// of them for one tenant, and a slot is refilled as soon as it frees (claim-deliveries.ts claims due
// rows fairly per tenant, with a lease), so no delivery waits for another one's timeout.
// A failure is retried with exponential backoff; every try is logged with its response code.
import type { Db } from "@/lib/db";
import type { AllowedTargets } from "@/lib/net/allowed-targets";
import type { ResolveHost } from "@/lib/net/target-policy";
import { claimDueDeliveries, type ClaimedDelivery } from "./claim-deliveries";
import { sendEmail } from "./send-email";
import { type AttemptResult, attemptWebhook } from "./send-webhook";
import { ENDPOINT_GONE_SKIP_REASON } from "./webhook-failure";

export interface DeliveryConfig {
  smtpUrl?: string;
  emailFrom: string;
  /** Where the dashboard is, for links in emails. */
  dashboardUrl: string;
  encryptionKey: string;
  retryBaseMs: number;
  maxAttempts: number;
  webhookTimeoutMs: number;
  /** Internal targets webhooks may reach besides the public internet (WEBHOOK_ALLOWED_TARGETS). */
  allowedWebhookTargets: AllowedTargets;
  /** How webhook hosts are resolved: the system's resolver unless a test resolves names itself. */
  resolveWebhookHost?: ResolveHost;
}

/** Deliveries one worker (one web process) runs at once. */
export const MAX_DELIVERIES_IN_FLIGHT = 32;
/** Deliveries one tenant may have running in one worker: its dead endpoints hold this many slots at most. */
export const MAX_DELIVERIES_IN_FLIGHT_PER_TENANT = 4;

const MAX_RETRY_DELAY_MS = 3_600_000;
const ERROR_TEXT_MAX = 500;
/** How long past the request timeout a claimed row stays leased to its worker. */
const LEASE_MARGIN_MS = 30_000;

/** Delay before try n+1 after n failed tries: base, 2·base, 4·base, … capped at one hour. */
export function retryDelayMs(failedAttempts: number, baseMs: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.max(0, failedAttempts - 1));
}

async function attemptEmail(db: Db, config: DeliveryConfig, event: { appId: string; title: string; message: string; type: string }): Promise<AttemptResult> {
  const members = await db.membership.findMany({ where: { tenant: { apps: { some: { id: event.appId } } } }, select: { user: { select: { email: true } } } });
  try {
    const outcome = await sendEmail(config.smtpUrl, {
      from: config.emailFrom,
      to: members.map((member) => member.user.email),
      subject: `[Tollgate] ${event.title}`,
      text: `${event.message}\n\nOpen the app: ${config.dashboardUrl.replace(/\/$/, "")}/apps/${event.appId}/billing\n\n(event ${event.type})\n`,
    });
    return outcome.status === "sent" ? { ok: true } : { ok: true, skipped: outcome.reason };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

async function deliverOne(db: Db, config: DeliveryConfig, deliveryId: string): Promise<void> {
  const delivery = await db.notificationDelivery.findUnique({ where: { id: deliveryId }, include: { event: true, endpoint: true } });
  if (!delivery || delivery.status !== "pending") return;
  const startedAt = Date.now();
  let result: AttemptResult;
  if (delivery.channel === "email") result = await attemptEmail(db, config, delivery.event);
  else if (!delivery.endpoint || !delivery.endpoint.enabled) result = { ok: true, skipped: ENDPOINT_GONE_SKIP_REASON };
  else result = await attemptWebhook(config, delivery.endpoint, delivery.event);
  const attemptNumber = delivery.attempts + 1;
  const error = result.ok ? (result.skipped ?? null) : result.error.slice(0, ERROR_TEXT_MAX);
  const finalFailure = !result.ok && attemptNumber >= config.maxAttempts;
  await db.$transaction([
    db.notificationDeliveryAttempt.create({
      data: { deliveryId, attemptNumber, responseStatus: result.responseStatus ?? null, error, durationMs: Date.now() - startedAt },
    }),
    db.notificationDelivery.update({
      where: { id: deliveryId },
      data: {
        attempts: attemptNumber,
        lastResponseStatus: result.responseStatus ?? null,
        lastError: error,
        status: result.ok ? (result.skipped ? "skipped" : "succeeded") : finalFailure ? "failed" : "pending",
        deliveredAt: result.ok && !result.skipped ? new Date() : null,
        nextAttemptAt: result.ok || finalFailure ? undefined : new Date(Date.now() + retryDelayMs(attemptNumber, config.retryBaseMs)),
      },
    }),
  ]);
}

export interface DeliveryWorkerOptions {
  /** How often the worker looks for due rows while it has free slots and nothing woke it. */
  intervalMs: number;
  maxInFlight?: number;
  maxInFlightPerTenant?: number;
}

export interface DeliveryWorker {
  /** Claims nothing more and resolves once the deliveries in flight have settled. */
  stop(): Promise<void>;
}

function logError(msg: string, error: unknown): void {
  console.error(JSON.stringify({ level: "error", msg, error: error instanceof Error ? error.message : String(error) }));
}

/** Starts the pool: claims due rows every `intervalMs` and whenever a slot frees. */
export function startDeliveryWorker(db: Db, config: DeliveryConfig, options: DeliveryWorkerOptions): DeliveryWorker {
  const maxInFlight = options.maxInFlight ?? MAX_DELIVERIES_IN_FLIGHT;
  const maxInFlightPerTenant = options.maxInFlightPerTenant ?? MAX_DELIVERIES_IN_FLIGHT_PER_TENANT;
  const inFlightByTenant = new Map<string, number>();
  const running = new Set<Promise<void>>();
  let claiming: Promise<void> | undefined;
  let claimAgain = false;
  let stopped = false;

  const run = (delivery: ClaimedDelivery) => {
    inFlightByTenant.set(delivery.tenantId, (inFlightByTenant.get(delivery.tenantId) ?? 0) + 1);
    const settled = deliverOne(db, config, delivery.id)
      .catch((error: unknown) => logError("notification delivery failed", error))
      .finally(() => {
        const left = (inFlightByTenant.get(delivery.tenantId) ?? 1) - 1;
        if (left > 0) inFlightByTenant.set(delivery.tenantId, left);
        else inFlightByTenant.delete(delivery.tenantId);
        running.delete(settled);
        fill();
      });
    running.add(settled);
  };

  const claim = async () => {
    const now = new Date();
    const claimed = await claimDueDeliveries(db, {
      now,
      leaseUntil: new Date(now.getTime() + config.webhookTimeoutMs + LEASE_MARGIN_MS),
      slots: maxInFlight - running.size,
      maxInFlightPerTenant,
      inFlightByTenant,
    });
    for (const delivery of claimed) run(delivery);
  };

  // One claim at a time; slots that free while it runs are claimed right after it.
  const fill = () => {
    if (stopped || running.size >= maxInFlight) return;
    if (claiming) {
      claimAgain = true;
      return;
    }
    claiming = claim()
      .catch((error: unknown) => logError("notification delivery claim failed", error))
      .finally(() => {
        claiming = undefined;
        if (claimAgain) {
          claimAgain = false;
          fill();
        }
      });
  };

  const timer = setInterval(fill, options.intervalMs);
  timer.unref();
  fill();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await claiming;
      await Promise.all(running);
    },
  };
}
