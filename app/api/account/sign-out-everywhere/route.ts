// POST /api/account/sign-out-everywhere – end every session of the signed-in user, this one included
import { NextResponse } from "next/server";
import { signOutEverywhere } from "@/lib/account/manage-account";
import { getDb } from "@/lib/db";
import { withSession } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export const POST = withSession(async ({ user }) => {
  await signOutEverywhere(getDb(), { userId: user.id });
  return NextResponse.json({ signedOut: true });
});
