// `npm run start:worker`: a job queue runner on its own (lib/jobs), for deployments that run web replicas
// with JOB_RUNNER=off, or want more runners. Needs DATABASE_URL; stops cleanly on SIGTERM / SIGINT.
import { createPrismaClient } from "@/lib/db";
import { startJobRunner } from "@/lib/jobs/start-job-runner";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) {
  console.error("DATABASE_URL is not set: a worker runs the jobs of an existing Tollgate database");
  process.exit(2);
}
const db = createPrismaClient(connectionString);
const runner = await startJobRunner(db, { connectionString, concurrency: Number(process.env.JOB_CONCURRENCY ?? 4) });
console.log(JSON.stringify({ level: "info", msg: "job worker started" }));

async function stop(): Promise<void> {
  await runner.stop();
  await db.$disconnect();
  process.exit(0);
}
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
await runner.promise;
