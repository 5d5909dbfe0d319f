// PATCH /api/admin/plans/:planId – edit a plan: limits at once, prices from each app's next period unless applyPricesNow (platform admins)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { readJson, withSession } from "@/lib/http/with-session";
import { updatePlanSchema } from "@/lib/plans/plan.types";
import { updatePlan } from "@/lib/plans/update-plan";

export const dynamic = "force-dynamic";

export const PATCH = withSession<{ planId: string }>(
  async ({ req, user, params }) => {
    const changes = updatePlanSchema.parse(await readJson(req));
    return NextResponse.json(await updatePlan(getDb(), { actor: actorOf(user), planId: params.planId, changes }));
  },
  { requireAdmin: true },
);
