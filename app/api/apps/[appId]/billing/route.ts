// GET /api/apps/:appId/billing – balance, auto-recharge, ledger, payment attempts, costs this period
import { NextResponse } from "next/server";
import { getBilling } from "@/lib/billing/get-billing";
import { getDb } from "@/lib/db";
import { withAppAccess } from "@/lib/http/with-app-access";

export const dynamic = "force-dynamic";

export const GET = withAppAccess<{ appId: string }>(async ({ access: { appId } }) => {
  return NextResponse.json(await getBilling(getDb(), { appId }));
}, { permissions: ["billing.read"] });
