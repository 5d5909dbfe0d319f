// GET /api/admin/settings/operator – the operator's details printed on every invoice (platform admins)
// PUT  the same; invoices issued afterwards carry them (issued ones keep theirs)
import { NextResponse } from "next/server";
import { getOperatorSettings, updateOperatorSettings } from "@/lib/billing/invoice-parties";
import { operatorSettingsSchema } from "@/lib/billing/invoice-parties.types";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { readJson, withSession } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export const GET = withSession(async () => NextResponse.json({ operator: await getOperatorSettings(getDb()) }), { requireAdmin: true });

export const PUT = withSession(
  async ({ req, user }) => {
    const settings = operatorSettingsSchema.parse(await readJson(req));
    return NextResponse.json({ operator: await updateOperatorSettings(getDb(), { actor: actorOf(user), settings }) });
  },
  { requireAdmin: true },
);
