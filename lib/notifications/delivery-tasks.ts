// The notification jobs the job queue runs (registered in lib/jobs/job-tasks.ts; tests run them on a
// runner of their own with their own settings).
import type { Task, TaskList } from "graphile-worker";
import type { Db } from "@/lib/db";
import { type DeliveryConfig, deliverNotification } from "./deliver-notification";
import { DeliveryJob } from "./queue-delivery";
import { sweepDeliveries } from "./sweep-deliveries";

export const DELIVERY_CRONTAB = `* * * * * ${DeliveryJob.sweep} ?max=1&jobKey=${DeliveryJob.sweep}`;

function deliveryIdOf(payload: unknown): string {
  const deliveryId = (payload as { deliveryId?: unknown } | null)?.deliveryId;
  if (typeof deliveryId !== "string") throw new Error("this job needs { deliveryId }");
  return deliveryId;
}

/** `config` is read when a job runs, so a runner's tasks can be built before the environment is validated. */
export function deliveryTasks(db: Db, config: () => DeliveryConfig): TaskList {
  const deliver: Task = async (payload) => {
    await deliverNotification(db, config(), deliveryIdOf(payload));
  };
  const sweep: Task = async () => {
    const result = await sweepDeliveries(db, { leaseMs: config().leaseMs });
    if (result.released > 0 || result.requeued > 0) console.log(JSON.stringify({ level: "info", msg: "notification deliveries re-queued", ...result }));
  };
  return { [DeliveryJob.deliver]: deliver, [DeliveryJob.sweep]: sweep };
}
