// The single Prisma client, over the pg driver adapter (the embedded default is a real PostgreSQL too).
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@/lib/generated/prisma/client";

export type Db = PrismaClient;
export type { Prisma } from "@/lib/generated/prisma/client";

/**
 * How long a transaction may wait for a pooled connection before it fails. Prisma's default, 2 s, turned a
 * burst of writes that lock the same row (key creates for one app) into 503s once the pool was busy
 * for 2 s: those wait their turn now. `timeout` bounds a transaction once started, as by default.
 */
const TRANSACTION_OPTIONS = { maxWait: 15_000, timeout: 5_000 };

export function createPrismaClient(connectionString: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString }), transactionOptions: TRANSACTION_OPTIONS });
}

const globalForPrisma = globalThis as unknown as { tollgatePrisma?: PrismaClient };

/** The process-wide client; Next's dev server reloads modules, so it is kept on globalThis. */
export function getDb(): PrismaClient {
  if (!globalForPrisma.tollgatePrisma) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set");
    globalForPrisma.tollgatePrisma = createPrismaClient(url);
  }
  return globalForPrisma.tollgatePrisma;
}
