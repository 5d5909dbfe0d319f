// Adds a job from any database client — inside a transaction it is queued atomically with that
// transaction's writes. The queue's schema is created by ensureJobSchema (web start, workers, tests).
import { runMigrations } from "graphile-worker";
import type { Db, Prisma } from "@/lib/db";
import { jobLogger } from "./job-logger";
import type { JobNameValue } from "./job-tasks";

/**
 * The priority of money and alert jobs: ahead of notification deliveries (whose priority counts up from 0
 * with their tenant's backlog), so a few tenants' dead webhooks holding the slots never delay a renewal,
 * a recharge or an alert by more than one try.
 */
export const AHEAD_OF_DELIVERIES = -10;

export interface JobOptions {
  runAt?: Date;
  /** One pending job per key: adding again replaces it (its payload and run time). */
  jobKey?: string;
  maxAttempts?: number;
  /** Jobs of one named queue run one at a time, across all runners. */
  queueName?: string;
  /** Lower runs first among due jobs (default 0). */
  priority?: number;
}

export async function enqueueJob(db: Db | Prisma.TransactionClient, name: JobNameValue, payload: Record<string, unknown>, options: JobOptions = {}): Promise<void> {
  await db.$executeRaw`SELECT graphile_worker.add_job(
    ${name},
    ${JSON.stringify(payload)}::json,
    queue_name => ${options.queueName ?? null}::text,
    run_at => ${options.runAt ?? null}::timestamptz,
    max_attempts => ${options.maxAttempts ?? null}::int,
    job_key => ${options.jobKey ?? null}::text,
    priority => ${options.priority ?? null}::int
  )`;
}

/** Creates or upgrades the job queue's schema (idempotent; ~10 ms when it is current). */
export async function ensureJobSchema(connectionString: string): Promise<void> {
  await runMigrations({ connectionString, logger: jobLogger });
}
