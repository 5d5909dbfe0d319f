// GET /api/plans – the plan catalog (public plans; admins see all)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { withSession } from "@/lib/http/with-session";
import { listPlans } from "@/lib/plans/list-plans";

export const dynamic = "force-dynamic";

export const GET = withSession(async ({ user }) => NextResponse.json({ plans: await listPlans(getDb(), { includeHidden: user.isPlatformAdmin }) }));
