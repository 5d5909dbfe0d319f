// POST /api/internal/relay/recharge – auto-recharge an app whose balance cannot cover an overage (relay only)
import { rechargeRequestSchema, type RechargeResponse } from "@tollgate/relay/protocol";
import { NextResponse } from "next/server";
import { attemptAutoRecharge } from "@/lib/billing/attempt-auto-recharge";
import { getPaymentProvider } from "@/lib/billing/payment-provider";
import { getDb } from "@/lib/db";
import { withRelaySecret } from "@/lib/http/with-relay-secret";
import { readJson } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export const POST = withRelaySecret(async ({ req }) => {
  const request = rechargeRequestSchema.parse(await readJson(req));
  const outcome = await attemptAutoRecharge(getDb(), getPaymentProvider(), { appId: request.appId, trigger: `relay:${request.reason}` });
  const body: RechargeResponse = { recharged: outcome.recharged, balanceMinor: outcome.balanceMinor, ...(outcome.reason ? { reason: outcome.reason } : {}) };
  return NextResponse.json(body);
});
