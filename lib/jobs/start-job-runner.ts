// The job queue: graphile-worker on the app's own PostgreSQL (docs/ARCHITECTURE.md says why). Every web
// replica runs a runner by default (JOB_RUNNER=off leaves it to `npm run start:worker` processes); any
// number of runners share the queue safely: a job is locked by one of them while it runs, and each cron
// tick is queued once however many runners see it.
import { parseCrontab, run, type Runner } from "graphile-worker";
import { type Db, getDb } from "@/lib/db";
import { getServerEnv } from "@/lib/env";
import { onShutdown } from "@/lib/shutdown-hooks";
import { ensureJobSchema } from "./enqueue-job";
import { jobLogger } from "./job-logger";
import { JOB_CRONTAB, JobName, jobTasks } from "./job-tasks";

export interface JobRunnerOptions {
  connectionString: string;
  /** Jobs run at once by this runner. */
  concurrency?: number;
  /** How often to look for due jobs when no notification arrives. */
  pollIntervalMs?: number;
}

export async function startJobRunner(db: Db, options: JobRunnerOptions): Promise<Runner> {
  const runner = await run({
    connectionString: options.connectionString,
    concurrency: options.concurrency ?? 4,
    pollInterval: options.pollIntervalMs ?? 1_000,
    noHandleSignals: true,
    logger: jobLogger,
    taskList: jobTasks(db),
    parsedCronItems: parseCrontab(JOB_CRONTAB),
  });
  // A fresh start does not wait for the next minute: what is due now is found now.
  await runner.addJob(JobName.sweepRenewals, {}, { jobKey: JobName.sweepRenewals });
  return runner;
}

const globalForRunner = globalThis as unknown as { tollgateJobRunner?: Promise<Runner | null> };

/** The web process's runner (instrumentation.ts), once per process; none with JOB_RUNNER=off. */
export function startJobRunnerInProcess(): Promise<Runner | null> {
  globalForRunner.tollgateJobRunner ??= (async () => {
    const env = getServerEnv();
    // Requests queue jobs (enqueue-job.ts), so the queue's schema must exist even where no runner runs.
    if (env.JOB_RUNNER === "off") return ensureJobSchema(env.DATABASE_URL).then(() => null);
    const runner = await startJobRunner(getDb(), { connectionString: env.DATABASE_URL });
    onShutdown(() => runner.stop());
    return runner;
  })();
  return globalForRunner.tollgateJobRunner;
}
