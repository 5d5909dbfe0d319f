// The single Prisma client, over the pg driver adapter (the embedded default is a real PostgreSQL too).
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@/lib/generated/prisma/client";

export type Db = PrismaClient;
export type { Prisma } from "@/lib/generated/prisma/client";

export function createPrismaClient(connectionString: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString }) });
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
