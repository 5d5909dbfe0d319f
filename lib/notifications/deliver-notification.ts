// One try of one outbox row (NotificationDelivery, written with its event by emit-app-event.ts): the
// `deliver-notification` job (queue-delivery.ts) calls this, so the usage flush path never waits on SMTP
// or a customer's server. A failure is recorded and its retry queued as a new job after the backoff
// (retryDelayMs); every try is logged with its response code.
//
// A job may run twice (a runner that died is released by the sweep, sweep-deliveries.ts), so the try is
// claimed first: only a pending row that is due is taken, and taking it moves its next attempt a lease
// ahead. The lease is renewed while the try runs, however long an email takes, so a live try is never
// given to anyone else; it lapses only when the runner holding it is gone.
import type { Db } from "@/lib/db";
import type { ServerEnv } from "@/lib/env";
import type { AllowedTargets } from "@/lib/net/allowed-targets";
import type { ResolveHost } from "@/lib/net/target-policy";
import { countWaitingDeliveries, queueDelivery } from "./queue-delivery";
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
  /** How long a try's claim holds without renewal (DELIVERY_LEASE_MS unless a test shortens it). */
  leaseMs?: number;
}

/** The delivery settings of a process, from its validated environment (a web replica's or a worker's). */
export function deliveryConfigFromEnv(env: ServerEnv): DeliveryConfig {
  return {
    smtpUrl: env.SMTP_URL,
    emailFrom: env.MAIL_FROM,
    dashboardUrl: env.NEXTAUTH_URL ?? "http://localhost:3000",
    encryptionKey: env.KEY_ENCRYPTION_KEY,
    retryBaseMs: env.NOTIFICATION_RETRY_BASE_MS,
    maxAttempts: env.NOTIFICATION_MAX_ATTEMPTS,
    webhookTimeoutMs: env.WEBHOOK_TIMEOUT_MS,
    allowedWebhookTargets: env.WEBHOOK_ALLOWED_TARGETS,
  };
}

/** A try's claim on its row: renewed every third of it, so only a runner gone for a whole lease loses it. */
export const DELIVERY_LEASE_MS = 60_000;

const MAX_RETRY_DELAY_MS = 3_600_000;
const ERROR_TEXT_MAX = 500;

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

/**
 * Takes the row for one try if it is pending and due, by the database's clock (the one that ran the job;
 * the column holds UTC without a zone, as Prisma writes it).
 */
async function claimDelivery(db: Db, deliveryId: string, leaseMs: number): Promise<boolean> {
  const claimed = await db.$executeRaw`
    UPDATE "NotificationDelivery" SET "nextAttemptAt" = (now() AT TIME ZONE 'UTC') + ${leaseMs} * interval '1 millisecond'
    WHERE id = ${deliveryId} AND status = 'pending' AND "nextAttemptAt" <= (now() AT TIME ZONE 'UTC')`;
  return claimed === 1;
}

/** Renews the claim until stopped; stop() waits for a renewal in flight, so none lands after the outcome. */
function holdLease(db: Db, deliveryId: string, leaseMs: number): { stop(): Promise<void> } {
  let renewal: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    renewal = db.$executeRaw`
      UPDATE "NotificationDelivery" SET "nextAttemptAt" = (now() AT TIME ZONE 'UTC') + ${leaseMs} * interval '1 millisecond'
      WHERE id = ${deliveryId} AND status = 'pending'`.catch((error: unknown) =>
      console.error(JSON.stringify({ level: "error", msg: "notification lease renewal failed", deliveryId, error: error instanceof Error ? error.message : String(error) })),
    );
  }, leaseMs / 3);
  return {
    stop: async () => {
      clearInterval(timer);
      await renewal;
    },
  };
}

/** Tries a delivery once and records the outcome; a failure with tries left queues its retry. */
export async function deliverNotification(db: Db, config: DeliveryConfig, deliveryId: string): Promise<void> {
  const leaseMs = config.leaseMs ?? DELIVERY_LEASE_MS;
  if (!(await claimDelivery(db, deliveryId, leaseMs))) return;
  const lease = holdLease(db, deliveryId, leaseMs);
  const startedAt = Date.now();
  let result: AttemptResult;
  let attempts: number;
  try {
    const delivery = await db.notificationDelivery.findUniqueOrThrow({ where: { id: deliveryId }, include: { event: true, endpoint: true } });
    attempts = delivery.attempts;
    if (delivery.channel === "email") result = await attemptEmail(db, config, delivery.event);
    else if (!delivery.endpoint || !delivery.endpoint.enabled) result = { ok: true, skipped: ENDPOINT_GONE_SKIP_REASON };
    else result = await attemptWebhook(config, delivery.endpoint, delivery.event);
  } finally {
    await lease.stop();
  }
  const attemptNumber = attempts + 1;
  const error = result.ok ? (result.skipped ?? null) : result.error.slice(0, ERROR_TEXT_MAX);
  const finalFailure = !result.ok && attemptNumber >= config.maxAttempts;
  const retryAt = result.ok || finalFailure ? null : new Date(Date.now() + retryDelayMs(attemptNumber, config.retryBaseMs));
  await db.$transaction(async (tx) => {
    const settled = await tx.notificationDelivery.updateManyAndReturn({
      where: { id: deliveryId, status: "pending" },
      data: {
        attempts: attemptNumber,
        lastResponseStatus: result.responseStatus ?? null,
        lastError: error,
        status: result.ok ? (result.skipped ? "skipped" : "succeeded") : finalFailure ? "failed" : "pending",
        deliveredAt: result.ok && !result.skipped ? new Date() : null,
        ...(retryAt ? { nextAttemptAt: retryAt } : {}),
      },
      select: { tenantId: true },
    });
    // The row went away during the try (its event or endpoint was deleted): nothing left to record.
    const [row] = settled;
    if (!row) return;
    await tx.notificationDeliveryAttempt.create({
      data: { deliveryId, attemptNumber, responseStatus: result.responseStatus ?? null, error, durationMs: Date.now() - startedAt },
    });
    if (retryAt) {
      const waitingAhead = (await countWaitingDeliveries(tx, row.tenantId)) - 1;
      await queueDelivery(tx, { id: deliveryId, tenantId: row.tenantId, runAt: retryAt, placeInLine: waitingAhead });
    }
  });
}
