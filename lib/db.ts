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

/** How many times a transaction PostgreSQL chose as a deadlock's victim is run again. */
const DEADLOCK_RETRIES = 3;

function isDeadlock(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  if ("code" in error && error.code === "P2034") return true;
  return error instanceof Error && /\b40P01\b|deadlock detected/.test(error.message);
}

/**
 * Runs a transaction PostgreSQL aborted to break a deadlock again, as PostgreSQL advises: its work was
 * rolled back whole, so running it again is safe (no transaction calls a payment provider or sends
 * anything while it is open). Changes that touch the relay change feed's head row (lib/relay/relay-feed.ts)
 * come in many orders among other writes, and two of them can cross.
 */
function retryingDeadlocks(client: PrismaClient): PrismaClient {
  const transaction = client.$transaction.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const retrying = async (...args: unknown[]): Promise<unknown> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await transaction(...args);
      } catch (error) {
        if (attempt >= DEADLOCK_RETRIES || !isDeadlock(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * (attempt + 1)));
      }
    }
  };
  // Configurable, as a plain assignment would make it: a transaction client is a Proxy of this one whose `has` trap hides `$transaction`.
  Object.defineProperty(client, "$transaction", { value: retrying, configurable: true, writable: true });
  return client;
}

export function createPrismaClient(connectionString: string): PrismaClient {
  return retryingDeadlocks(new PrismaClient({ adapter: new PrismaPg({ connectionString }), transactionOptions: TRANSACTION_OPTIONS }));
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
