// GET /api/apps/:appId/billing/spend-controls – the monthly spend cap and auto-recharge ceiling
// PUT /api/apps/:appId/billing/spend-controls – change them (owners: they bound what the app may spend)
import { NextResponse } from "next/server";
import { getSpendControls, setSpendControls } from "@/lib/billing/spend-controls";
import { spendControlsSchema } from "@/lib/billing/spend-controls.types";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { withAppAccess } from "@/lib/http/with-app-access";
import { readJson } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export const GET = withAppAccess<{ appId: string }>(async ({ access: { appId } }) => NextResponse.json({ spendControls: await getSpendControls(getDb(), { appId }) }), {
  permissions: ["billing.read"],
});

export const PUT = withAppAccess<{ appId: string }>(async ({ req, user, access: { appId } }) => {
  const controls = spendControlsSchema.parse(await readJson(req));
  return NextResponse.json({ spendControls: await setSpendControls(getDb(), { actor: actorOf(user), appId, controls }) });
}, { permissions: ["billing.manage"] });
