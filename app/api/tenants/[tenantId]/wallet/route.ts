// GET /api/tenants/:tenantId/wallet – the team's wallet at a glance: balance, card, auto-recharge and each app's usage charges this month
import { NextResponse } from "next/server";
import { getTeamWalletSummary } from "@/lib/billing/team-wallet-summary";
import { getDb } from "@/lib/db";
import { withTenantAccess } from "@/lib/http/with-tenant-access";

export const dynamic = "force-dynamic";

export const GET = withTenantAccess<{ tenantId: string }>(
  async ({ access: { tenantId } }) => NextResponse.json({ wallet: await getTeamWalletSummary(getDb(), { tenantId }) }),
  { permissions: ["billing.read"] },
);
