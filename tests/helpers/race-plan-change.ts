// A second process for charge races: waits until the given instant, asks for a plan change with the given
// Idempotency-Key, and prints the outcome and how many times it called the payment provider.
//   tsx tests/helpers/race-plan-change.ts <databaseUrl> <appId> <planSlug> <idempotencyKey> <startAtMs>
import { changePlan } from "@/lib/billing/change-plan";
import { TestPaymentProvider } from "@/lib/billing/payment-provider";
import { createPrismaClient } from "@/lib/db";

class CountingProvider extends TestPaymentProvider {
  calls = 0;
  override async charge(input: Parameters<TestPaymentProvider["charge"]>[0]) {
    this.calls++;
    return super.charge(input);
  }
}

const [databaseUrl, appId, planSlug, idempotencyKey, startAtMs] = process.argv.slice(2);
if (!databaseUrl || !appId || !planSlug || !idempotencyKey || !startAtMs) throw new Error("usage: race-plan-change.ts <databaseUrl> <appId> <planSlug> <idempotencyKey> <startAtMs>");
const db = createPrismaClient(databaseUrl);
const provider = new CountingProvider();
await db.$queryRaw`SELECT 1`;
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAtMs) - Date.now())));
try {
  const result = await changePlan(db, provider, { actor: { id: null }, appId, planSlug, idempotencyKey });
  console.log(JSON.stringify({ result, providerCalls: provider.calls }));
} catch (error) {
  console.log(JSON.stringify({ error: error instanceof Error ? error.message : String(error), providerCalls: provider.calls }));
} finally {
  await db.$disconnect();
}
