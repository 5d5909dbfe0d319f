// The database's clock. Versions that relays compare with one another (a usage acknowledgement's
// balance against a snapshot's) are read from it, so several web replicas, each with its own clock,
// can never order two facts the wrong way round.
import type { Db } from "@/lib/db";

export async function databaseNow(db: Db): Promise<Date> {
  const rows = await db.$queryRaw<{ now: Date }[]>`SELECT clock_timestamp() AS now`;
  const now = rows[0]?.now;
  if (!now) throw new Error("The database did not tell its time");
  return now;
}
