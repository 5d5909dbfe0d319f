// `npm run start:worker`: a job queue runner on its own (lib/jobs), for deployments that run web replicas
// with JOB_RUNNER=off, or want more runners. It runs every job a web replica's runner does, notification
// deliveries included, so it needs the environment a web replica needs (validated the same way:
// DATABASE_URL, the secrets, and SMTP_URL, MAIL_FROM, NEXTAUTH_URL and the WEBHOOK_* / NOTIFICATION_*
// settings deliveries use). Stops cleanly on SIGTERM / SIGINT.
import { createPrismaClient } from "@/lib/db";
import { getServerEnv, type ServerEnv } from "@/lib/env";
import { startJobRunner } from "@/lib/jobs/start-job-runner";

let env: ServerEnv;
try {
  env = getServerEnv();
} catch (error) {
  console.error(`A job worker needs the environment of a web replica (README, Configuration). ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
const db = createPrismaClient(env.DATABASE_URL);
const runner = await startJobRunner(db, { connectionString: env.DATABASE_URL, concurrency: Number(process.env.JOB_CONCURRENCY ?? 4) });
console.log(JSON.stringify({ level: "info", msg: "job worker started" }));

async function stop(): Promise<void> {
  await runner.stop();
  await db.$disconnect();
  process.exit(0);
}
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
await runner.promise;
