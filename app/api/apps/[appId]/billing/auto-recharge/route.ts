// PUT /api/apps/:appId/billing/auto-recharge – auto-recharge on/off, threshold, amount, card
import { NextResponse } from "next/server";
import { autoRechargeSchema } from "@/lib/billing/billing.types";
import { getPaymentProvider } from "@/lib/billing/payment-provider";
import { setAutoRecharge } from "@/lib/billing/set-auto-recharge";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { readJson, withSession } from "@/lib/http/with-session";
import { requireAppAccess } from "@/lib/tenancy/require-app-access";

export const dynamic = "force-dynamic";

export const PUT = withSession<{ appId: string }>(async ({ req, user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, appId: params.appId });
  const settings = autoRechargeSchema.parse(await readJson(req));
  return NextResponse.json(await setAutoRecharge(getDb(), getPaymentProvider(), { actor: actorOf(user), appId, settings }));
});
