// The `sweep-deliveries` job (every minute) keeps every pending delivery on the job queue:
//   1. A delivery job locked for longer than a lease whose try holds no lease any more belongs to a
//      runner that is gone (killed mid-try: graphile-worker itself would keep it, and with it the
//      tenant's queue, locked for four hours). Its runner's locks are released and the job dropped, as
//      is a job that failed (the task threw; with one attempt graphile-worker never runs it again).
//   2. A pending delivery without a live job (rows written before deliveries were jobs, a job that
//      failed or was dropped above, a queue removed under it) is queued again, keyed by the delivery,
//      so this never queues one twice.
//   3. Tenants' queues with no jobs are removed: graphile-worker looks at every unlocked named queue
//      each time it fetches a job, so idle ones would slow every fetch as tenants accumulate.
import type { Db } from "@/lib/db";
import { DELIVERY_LEASE_MS } from "./deliver-notification";
import { DELIVERY_QUEUE_PATTERN, DeliveryJob, deliveryJobKey, queueDelivery } from "./queue-delivery";

/** Deliveries queued again per sweep at most; the next sweep takes the rest. */
const REQUEUE_BATCH = 1_000;

export interface SweepResult {
  /** Runners found gone mid-try whose locks were released. */
  released: number;
  requeued: number;
  queuesRemoved: number;
}

export async function sweepDeliveries(db: Db, options: { leaseMs?: number } = {}): Promise<SweepResult> {
  const leaseMs = options.leaseMs ?? DELIVERY_LEASE_MS;
  const keyPrefix = deliveryJobKey("");

  // Dead: locked by a runner that stopped renewing its try, or failed (the task threw; graphile-worker logged why).
  const dead = await db.$queryRaw<{ id: bigint; lockedBy: string | null }[]>`
    SELECT jobs.id, jobs.locked_by AS "lockedBy"
    FROM graphile_worker.jobs AS jobs
    LEFT JOIN "NotificationDelivery" AS delivery ON delivery.id = substring(jobs.key FROM ${keyPrefix.length + 1}::int)
    WHERE jobs.task_identifier = ${DeliveryJob.deliver} AND (
      (jobs.locked_at IS NULL AND jobs.attempts >= jobs.max_attempts)
      OR (jobs.locked_at < now() - ${leaseMs} * interval '1 millisecond'
        AND NOT COALESCE(delivery.status = 'pending' AND delivery."nextAttemptAt" > (now() AT TIME ZONE 'UTC'), false))
    )`;
  const goneRunners = [...new Set(dead.flatMap((job) => (job.lockedBy ? [job.lockedBy] : [])))];
  if (goneRunners.length > 0) await db.$executeRaw`SELECT graphile_worker.force_unlock_workers(${goneRunners}::text[])`;
  if (dead.length > 0) await db.$executeRaw`SELECT graphile_worker.complete_jobs(${dead.map((job) => job.id)}::bigint[])`;

  // Live: waiting in an existing queue with its one try left, or running.
  const orphans = await db.$queryRaw<{ id: string; tenantId: string; nextAttemptAt: Date; placeInLine: bigint }[]>`
    SELECT delivery.id, delivery."tenantId", delivery."nextAttemptAt",
      row_number() OVER (PARTITION BY delivery."tenantId" ORDER BY delivery."nextAttemptAt", delivery.id) - 1 AS "placeInLine"
    FROM "NotificationDelivery" AS delivery
    WHERE delivery.status = 'pending' AND NOT EXISTS (
      SELECT 1 FROM graphile_worker.jobs AS jobs
      WHERE jobs.key = ${keyPrefix} || delivery.id
        AND (jobs.locked_at IS NOT NULL OR (jobs.queue_name IS NOT NULL AND jobs.attempts < jobs.max_attempts))
    )
    ORDER BY delivery."nextAttemptAt"
    LIMIT ${REQUEUE_BATCH}`;
  for (const orphan of orphans) {
    await queueDelivery(db, { id: orphan.id, tenantId: orphan.tenantId, runAt: orphan.nextAttemptAt, placeInLine: Number(orphan.placeInLine) });
  }

  const queuesRemoved = await db.$executeRaw`
    DELETE FROM graphile_worker._private_job_queues AS job_queues
    WHERE job_queues.queue_name LIKE ${DELIVERY_QUEUE_PATTERN} AND job_queues.locked_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM graphile_worker._private_jobs AS jobs WHERE jobs.job_queue_id = job_queues.id)`;

  return { released: goneRunners.length, requeued: orphans.length, queuesRemoved };
}
