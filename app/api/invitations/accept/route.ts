// POST /api/invitations/accept – join the team of an invitation link (signed in; single use)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { readJson, withSession } from "@/lib/http/with-session";
import { acceptInvitation } from "@/lib/teams/accept-invitation";
import { acceptInvitationSchema } from "@/lib/teams/team.types";

export const dynamic = "force-dynamic";

export const POST = withSession(async ({ req, user }) => {
  const { token } = acceptInvitationSchema.parse(await readJson(req));
  return NextResponse.json(await acceptInvitation(getDb(), { actor: { id: user.id, email: user.email }, token }));
});
