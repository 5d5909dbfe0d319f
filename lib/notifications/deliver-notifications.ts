// The delivery worker: drains the notification outbox (NotificationDelivery rows written with their
// event by emit-app-event.ts), so the usage flush path never waits on SMTP or a customer's server.
// Due rows are claimed with FOR UPDATE SKIP LOCKED and leased by pushing their next attempt past the
// request timeout, so two workers (two web processes) never send one delivery at the same moment.
// A failure is retried with exponential backoff; every try is logged with its response code.
import type { Db } from "@/lib/db";
import { sendEmail } from "./send-email";
import { type AttemptResult, attemptWebhook } from "./send-webhook";

export interface DeliveryConfig {
  smtpUrl?: string;
  emailFrom: string;
  /** Where the dashboard is, for links in emails. */
  dashboardUrl: string;
  encryptionKey: string;
  retryBaseMs: number;
  maxAttempts: number;
  webhookTimeoutMs: number;
}

const BATCH_SIZE = 20;
const MAX_RETRY_DELAY_MS = 3_600_000;
const ERROR_TEXT_MAX = 500;

/** Delay before try n+1 after n failed tries: base, 2·base, 4·base, … capped at one hour. */
export function retryDelayMs(failedAttempts: number, baseMs: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.max(0, failedAttempts - 1));
}

async function claimDue(db: Db, config: DeliveryConfig, now: Date): Promise<string[]> {
  const leaseUntil = new Date(now.getTime() + config.webhookTimeoutMs + 30_000);
  const rows = await db.$queryRaw<{ id: string }[]>`
    UPDATE "NotificationDelivery" SET "nextAttemptAt" = ${leaseUntil}
    WHERE id IN (
      SELECT id FROM "NotificationDelivery"
      WHERE status = 'pending' AND "nextAttemptAt" <= ${now}
      ORDER BY "nextAttemptAt" LIMIT ${BATCH_SIZE}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING id`;
  return rows.map((row) => row.id);
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
  else if (!delivery.endpoint || !delivery.endpoint.enabled) result = { ok: true, skipped: "The endpoint was disabled or removed" };
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

/** One pass: delivers what is due now (in parallel within the batch). Returns how many were tried. */
export async function deliverDueNotifications(db: Db, config: DeliveryConfig, now: Date = new Date()): Promise<number> {
  const ids = await claimDue(db, config, now);
  await Promise.all(ids.map((id) => deliverOne(db, config, id)));
  return ids.length;
}

/** Runs passes every `intervalMs` (a full batch is followed at once by the next pass). Returns a stopper. */
export function startDeliveryWorker(db: Db, config: DeliveryConfig, intervalMs: number): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    let tried = 0;
    try {
      tried = await deliverDueNotifications(db, config);
    } catch (error) {
      console.error(JSON.stringify({ level: "error", msg: "notification delivery pass failed", error: error instanceof Error ? error.message : String(error) }));
    }
    if (!stopped) timer = setTimeout(() => void tick(), tried >= BATCH_SIZE ? 0 : intervalMs);
  };
  timer = setTimeout(() => void tick(), intervalMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
