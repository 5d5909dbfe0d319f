// What the job queue holds for a task (graphile-worker 0.16's tables: its public view has no payload), so
// a test can see that a change queued its job and run the job's work itself.
import type { Db } from "@/lib/db";

export interface QueuedJob {
  key: string | null;
  payload: Record<string, unknown>;
  priority: number;
}

export function queuedJobs(db: Db, taskIdentifier: string): Promise<QueuedJob[]> {
  return db.$queryRaw<QueuedJob[]>`
    SELECT jobs.key, jobs.payload, jobs.priority FROM graphile_worker._private_jobs AS jobs
    JOIN graphile_worker._private_tasks AS tasks ON tasks.id = jobs.task_id
    WHERE tasks.identifier = ${taskIdentifier} ORDER BY jobs.id`;
}
