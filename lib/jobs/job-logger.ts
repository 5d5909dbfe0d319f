// The job queue's log: only warnings and errors, one JSON object per line like the rest of the app's logs.
import { Logger } from "graphile-worker";

export const jobLogger = new Logger((scope) => (level, message) => {
  if (level !== "error" && level !== "warning") return;
  console.error(JSON.stringify({ level: level === "error" ? "error" : "warn", msg: `job queue: ${message}`, ...scope }));
});
