// GET /api/admin/apps?q= – search apps across tenants (platform admins)
import { NextResponse } from "next/server";
import { searchQuerySchema } from "@/lib/apps/app.types";
import { searchApps } from "@/lib/apps/search-apps";
import { getDb } from "@/lib/db";
import { getServerEnv } from "@/lib/env";
import { withSession } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export const GET = withSession(
  async ({ req }) => {
    const { q } = searchQuerySchema.parse({ q: req.nextUrl.searchParams.get("q") ?? undefined });
    return NextResponse.json({ apps: await searchApps(getDb(), { q, relayUrl: getServerEnv().RELAY_PUBLIC_URL }) });
  },
  { requireAdmin: true },
);
