// Prisma runs offline here: the JS engine plus the pg driver adapter (ARCHITECTURE §4).
import { PrismaPg } from "@prisma/adapter-pg";
import type { PrismaConfig } from "prisma";

export default {
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations", seed: "tsx prisma/seed.ts" },
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL }),
} satisfies PrismaConfig;
