// GET /api/apps/:appId/billing – balance, auto-recharge, ledger, payment attempts, costs this period
import { NextResponse } from "next/server";
import { getBilling } from "@/lib/billing/get-billing";
import { getDb } from "@/lib/db";
import { withSession } from "@/lib/http/with-session";
import { requireAppAccess } from "@/lib/tenancy/require-app-access";

export const dynamic = "force-dynamic";

export const GET = withSession<{ appId: string }>(async ({ user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, appId: params.appId });
  return NextResponse.json(await getBilling(getDb(), { appId }));
});
