// GET|PUT /api/apps/:appId/billing/spend-controls – the monthly spend cap and auto-recharge ceiling
import { NextResponse } from "next/server";
import { getSpendControls, setSpendControls } from "@/lib/billing/spend-controls";
import { spendControlsSchema } from "@/lib/billing/spend-controls.types";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { readJson, withSession } from "@/lib/http/with-session";
import { requireAppAccess } from "@/lib/tenancy/require-app-access";

export const dynamic = "force-dynamic";

export const GET = withSession<{ appId: string }>(async ({ user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, appId: params.appId });
  return NextResponse.json({ spendControls: await getSpendControls(getDb(), { appId }) });
});

export const PUT = withSession<{ appId: string }>(async ({ req, user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, appId: params.appId });
  const controls = spendControlsSchema.parse(await readJson(req));
  return NextResponse.json({ spendControls: await setSpendControls(getDb(), { actor: actorOf(user), appId, controls }) });
});
