// GET /api/apps/:appId/billing – balance, auto-recharge, plan-fee state, ledger, payment attempts, costs this period
import { NextResponse } from "next/server";
import { getBilling } from "@/lib/billing/get-billing";
import { getDb } from "@/lib/db";
import { withAppAccess } from "@/lib/http/with-app-access";

export const dynamic = "force-dynamic";

// A read: renewals run as jobs at each period end (lib/jobs), never on a page load.
export const GET = withAppAccess<{ appId: string }>(async ({ access: { appId } }) => {
  return NextResponse.json(await getBilling(getDb(), { appId }));
}, { permissions: ["billing.read"] });
