// GET /api/admin/tenants?q= – search tenants (platform admins)
import { NextResponse } from "next/server";
import { searchQuerySchema } from "@/lib/apps/app.types";
import { getDb } from "@/lib/db";
import { withSession } from "@/lib/http/with-session";
import { searchTenants } from "@/lib/tenants/search-tenants";

export const dynamic = "force-dynamic";

export const GET = withSession(
  async ({ req }) => {
    const { q } = searchQuerySchema.parse({ q: req.nextUrl.searchParams.get("q") ?? undefined });
    return NextResponse.json({ tenants: await searchTenants(getDb(), { q }) });
  },
  { requireAdmin: true },
);
