// Every pending outbox row (NotificationDelivery) has one job on the job queue that tries it once:
// `deliver-notification` with { deliveryId }, keyed by the delivery (so nothing queues it twice), in its
// tenant's named queue. graphile-worker runs a named queue's jobs one at a time across every runner, so
// a tenant has at most one delivery in flight in the whole cluster, whatever its backlog.
//
// The priority is the delivery's place in its tenant's line (how many of the tenant's deliveries were
// already waiting): due jobs run lowest priority first, so every tenant's first waiting delivery goes
// before any tenant's second. When every runner slot is held by some tenant's dead endpoint, the next
// free slot goes to a tenant with nothing waiting, not to the oldest row of a long backlog.
import type { Db, Prisma } from "@/lib/db";
import { enqueueJob } from "@/lib/jobs/enqueue-job";

export const DeliveryJob = {
  deliver: "deliver-notification",
  sweep: "sweep-deliveries",
} as const;

/** Places in a tenant's line that are told apart; past this many waiting deliveries a tenant's further ones share the last place. */
export const MAX_DELIVERY_PRIORITY = 1_000;

const DELIVERY_QUEUE_PREFIX = "notify:";

export function deliveryQueueName(tenantId: string): string {
  return `${DELIVERY_QUEUE_PREFIX}${tenantId}`;
}

/** A LIKE pattern matching every tenant's delivery queue. */
export const DELIVERY_QUEUE_PATTERN = `${DELIVERY_QUEUE_PREFIX}%`;

export function deliveryJobKey(deliveryId: string): string {
  return `${DeliveryJob.deliver}:${deliveryId}`;
}

type Client = Db | Prisma.TransactionClient;

/** How many of the tenant's deliveries are pending, counted up to MAX_DELIVERY_PRIORITY. */
export function countWaitingDeliveries(client: Client, tenantId: string): Promise<number> {
  return client.notificationDelivery.count({ where: { tenantId, status: "pending" }, take: MAX_DELIVERY_PRIORITY });
}

/**
 * Queues the job that tries this delivery at `runAt`. Call it in the transaction that makes the row
 * pending (the job then exists exactly when the row does); `placeInLine` is how many of the tenant's
 * deliveries wait ahead of it.
 */
export async function queueDelivery(client: Client, delivery: { id: string; tenantId: string; runAt: Date; placeInLine: number }): Promise<void> {
  await enqueueJob(
    client,
    DeliveryJob.deliver,
    { deliveryId: delivery.id },
    {
      queueName: deliveryQueueName(delivery.tenantId),
      runAt: delivery.runAt,
      jobKey: deliveryJobKey(delivery.id),
      // The task records a failed try and queues the retry itself (retryDelayMs); graphile's own backoff never applies.
      maxAttempts: 1,
      priority: Math.min(MAX_DELIVERY_PRIORITY, Math.max(0, delivery.placeInLine)),
    },
  );
}
