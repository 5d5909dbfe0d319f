// POST /api/tenants/:tenantId/invitations – invite by email (mailed when SMTP is set) or as a link (owners)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { publicDashboardUrl } from "@/lib/env";
import { getMailer } from "@/lib/email/mailer";
import { actorOf } from "@/lib/http/actor";
import { readJson } from "@/lib/http/with-session";
import { withTenantAccess } from "@/lib/http/with-tenant-access";
import { createInvitation } from "@/lib/teams/invitations";
import { createInvitationSchema } from "@/lib/teams/team.types";

export const dynamic = "force-dynamic";

export const POST = withTenantAccess<{ tenantId: string }>(
  async ({ req, user, access }) => {
    const body = createInvitationSchema.parse(await readJson(req));
    const issued = await createInvitation(getDb(), { baseUrl: publicDashboardUrl(), mailer: getMailer() }, { actor: actorOf(user), tenantId: access.tenantId, ...body });
    return NextResponse.json(issued, { status: 201, headers: { "Cache-Control": "no-store" } });
  },
  { permissions: ["members.manage"] },
);
