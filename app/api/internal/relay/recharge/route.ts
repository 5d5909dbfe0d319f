// POST /api/internal/relay/recharge – auto-recharge an app whose balance cannot cover an overage (relay only)
import { rechargeRequestSchema, type RechargeResponse } from "@tollgate/relay/protocol";
import { NextResponse } from "next/server";
import { attemptAutoRecharge } from "@/lib/billing/attempt-auto-recharge";
import { getPaymentProvider } from "@/lib/billing/payment-provider";
import { loadSpendableBalances } from "@/lib/billing/spend-cap";
import { getDb } from "@/lib/db";
import { databaseNow } from "@/lib/db-clock";
import { readRelayJson, withRelaySecret } from "@/lib/http/with-relay-secret";

export const dynamic = "force-dynamic";

export const POST = withRelaySecret(async ({ req }) => {
  const request = rechargeRequestSchema.parse(await readRelayJson(req));
  const outcome = await attemptAutoRecharge(getDb(), getPaymentProvider(), { appId: request.appId, trigger: `relay:${request.reason}` });
  // The relay is told the spendable balance: with the spend cap reached it reads as exhausted.
  const spendable = await loadSpendableBalances(getDb(), { appIds: [request.appId] });
  const balanceMinor = Math.min(outcome.balanceMinor, spendable.get(request.appId) ?? outcome.balanceMinor);
  const asOfUnixMs = (await databaseNow(getDb())).getTime();
  const body: RechargeResponse = { recharged: outcome.recharged, balanceMinor, asOfUnixMs, ...(outcome.reason ? { reason: outcome.reason } : {}) };
  return NextResponse.json(body);
});
