// Runs the settle job for card charges a stopped process left pending (charge-card.ts) inside the web
// app's process (from instrumentation.ts), once per process. Every replica may run it: settling is
// idempotent per attempt (the provider answers the attempt's key with its first outcome, and only the
// caller that flips the row from pending posts the credit).
import { getDb } from "@/lib/db";
import { settlePendingCharges } from "./charge-card";
import { getPaymentProvider } from "./payment-provider";

const SETTLE_INTERVAL_MS = 30_000;
const globalForSettler = globalThis as unknown as { tollgateChargeSettler?: NodeJS.Timeout };

export function startChargeSettler(): void {
  if (globalForSettler.tollgateChargeSettler) return;
  const timer = setInterval(() => {
    settlePendingCharges(getDb(), getPaymentProvider()).catch((error: unknown) => {
      console.error(JSON.stringify({ level: "error", msg: "charge settle pass failed", error: error instanceof Error ? error.message : String(error) }));
    });
  }, SETTLE_INTERVAL_MS);
  timer.unref();
  globalForSettler.tollgateChargeSettler = timer;
}
