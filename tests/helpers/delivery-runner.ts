// A job queue runner for notification tests: the real deliver-notification task on graphile-worker, with
// the test's delivery settings instead of the environment's. Several of them on one database stand for
// several web replicas or workers.
import { run, type Runner } from "graphile-worker";
import type { Db } from "@/lib/db";
import { jobLogger } from "@/lib/jobs/job-logger";
import type { DeliveryConfig } from "@/lib/notifications/deliver-notification";
import { deliveryTasks } from "@/lib/notifications/delivery-tasks";

export interface DeliveryRunnerOptions {
  connectionString: string;
  config: DeliveryConfig;
  /** Jobs run at once; a web replica's runner runs 4. */
  concurrency?: number;
  /** How often an idle runner looks for due jobs (retries); new jobs wake it at once. A web replica's runner looks every 1,000 ms. */
  pollIntervalMs?: number;
}

export function startDeliveryRunner(db: Db, options: DeliveryRunnerOptions): Promise<Runner> {
  return run({
    connectionString: options.connectionString,
    concurrency: options.concurrency ?? 4,
    pollInterval: options.pollIntervalMs ?? 1_000,
    noHandleSignals: true,
    logger: jobLogger,
    taskList: deliveryTasks(db, () => options.config),
  });
}
