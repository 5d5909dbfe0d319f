// POST /api/tenants/:tenantId/invitations/:invitationId/resend – a new link and expiry, mailed again (owners)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { publicDashboardUrl } from "@/lib/env";
import { getMailer } from "@/lib/email/mailer";
import { actorOf } from "@/lib/http/actor";
import { withTenantAccess } from "@/lib/http/with-tenant-access";
import { resendInvitation } from "@/lib/teams/invitations";

export const dynamic = "force-dynamic";

export const POST = withTenantAccess<{ tenantId: string; invitationId: string }>(
  async ({ user, params, access }) => {
    const issued = await resendInvitation(getDb(), { baseUrl: publicDashboardUrl(), mailer: getMailer() }, { actor: actorOf(user), tenantId: access.tenantId, invitationId: params.invitationId });
    return NextResponse.json(issued, { headers: { "Cache-Control": "no-store" } });
  },
  { permissions: ["members.manage"] },
);
