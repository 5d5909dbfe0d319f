// Test data: the plan catalog, users with their own tenant, apps. Every call makes unique data, so
// tests sharing one database per file never collide.
import { randomBytes, randomUUID } from "node:crypto";
import { type AppUsageDelta, type UsageBatch, ZERO_USAGE_COUNTS } from "@tollgate/relay/protocol";
import { createApp } from "@/lib/apps/create-app";
import type { SessionUser } from "@/lib/auth/authenticate";
import type { Db } from "@/lib/db";
import { PLAN_CATALOG } from "@/lib/plans/plan-catalog";

export const TEST_ENCRYPTION_KEY = randomBytes(32).toString("base64");

export async function seedPlans(db: Db): Promise<void> {
  for (const plan of PLAN_CATALOG) await db.plan.upsert({ where: { slug: plan.slug }, create: plan, update: {} });
}

export interface TestUser extends SessionUser {
  tenantId: string;
}

/** A user who owns a fresh tenant. The password hash is a placeholder: these users never sign in. */
export async function createUser(db: Db, options: { admin?: boolean } = {}): Promise<TestUser> {
  const email = `user-${randomUUID()}@test.local`;
  const user = await db.user.create({
    data: { email, passwordHash: "not-a-real-hash", isPlatformAdmin: options.admin ?? false },
    select: { id: true, email: true, name: true, isPlatformAdmin: true },
  });
  const tenant = await db.tenant.create({ data: { name: `Tenant of ${email}` }, select: { id: true } });
  await db.membership.create({ data: { userId: user.id, tenantId: tenant.id, role: "owner" } });
  return { ...user, tenantId: tenant.id };
}

export async function createTestApp(db: Db, options: { tenantId: string; planSlug?: string; name?: string }) {
  return createApp(db, { tenantId: options.tenantId, name: options.name ?? `App ${randomUUID().slice(0, 8)}`, planSlug: options.planSlug });
}


export function usageDelta(appId: string, periodStartUnix: number, partial: Partial<AppUsageDelta> = {}): AppUsageDelta {
  return {
    appId,
    periodStartUnix,
    ...ZERO_USAGE_COUNTS,
    closesByCode: {},
    refusedSubscribes: {},
    peakActiveChannels: 0,
    byKey: {},
    samples: [],
    ...partial,
  };
}

export function usageBatch(apps: AppUsageDelta[], batchId = `batch_${randomUUID()}`): UsageBatch {
  return { batchId, relayId: "relay-test", sentAtUnixMs: Date.now(), apps };
}
