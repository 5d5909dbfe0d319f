// GET /api/apps/:appId/billing – balance, auto-recharge, plan-fee state, ledger, payment attempts, costs this period
import { NextResponse } from "next/server";
import { getBilling } from "@/lib/billing/get-billing";
import { getPaymentProvider } from "@/lib/billing/payment-provider";
import { renewApp } from "@/lib/billing/renew-subscription";
import { getDb } from "@/lib/db";
import { withAppAccess } from "@/lib/http/with-app-access";

export const dynamic = "force-dynamic";

export const GET = withAppAccess<{ appId: string }>(async ({ access: { appId } }) => {
  // Renewals also run lazily on access, so a turned period is billed before it is shown.
  await renewApp(getDb(), getPaymentProvider(), { appId });
  return NextResponse.json(await getBilling(getDb(), { appId }));
}, { permissions: ["billing.read"] });
