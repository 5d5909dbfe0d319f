// GET /api/admin/plans – every plan, hidden ones included (platform admins)
// POST /api/admin/plans – create a plan (platform admins)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { readJson, withSession } from "@/lib/http/with-session";
import { createPlan } from "@/lib/plans/create-plan";
import { listPlans } from "@/lib/plans/list-plans";
import { createPlanSchema } from "@/lib/plans/plan.types";

export const dynamic = "force-dynamic";

export const GET = withSession(async () => NextResponse.json({ plans: await listPlans(getDb(), { includeHidden: true }) }), { requireAdmin: true });

export const POST = withSession(
  async ({ req, user }) => {
    const plan = createPlanSchema.parse(await readJson(req));
    return NextResponse.json({ plan: await createPlan(getDb(), { actor: actorOf(user), plan }) }, { status: 201 });
  },
  { requireAdmin: true },
);
