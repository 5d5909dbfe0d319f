// PUT /api/apps/:appId/billing/auto-recharge – auto-recharge on/off, threshold, amount, card
import { NextResponse } from "next/server";
import { autoRechargeSchema } from "@/lib/billing/billing.types";
import { getPaymentProvider } from "@/lib/billing/payment-provider";
import { setAutoRecharge } from "@/lib/billing/set-auto-recharge";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { withAppAccess } from "@/lib/http/with-app-access";
import { readJson } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export const PUT = withAppAccess<{ appId: string }>(async ({ req, user, access: { appId } }) => {
  const settings = autoRechargeSchema.parse(await readJson(req));
  return NextResponse.json(await setAutoRecharge(getDb(), getPaymentProvider(), { actor: actorOf(user), appId, settings }));
}, { permissions: ["billing.manage"] });
