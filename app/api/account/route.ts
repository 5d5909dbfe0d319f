// GET /api/account – the signed-in user's profile
// PATCH /api/account – change name and/or email (email needs the current password)
import { NextResponse } from "next/server";
import { updateProfileSchema } from "@/lib/account/account.types";
import { getAccount, updateProfile } from "@/lib/account/manage-account";
import { getDb } from "@/lib/db";
import { readJson, withSession } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export const GET = withSession(async ({ user }) => NextResponse.json({ account: await getAccount(getDb(), { userId: user.id }) }));

export const PATCH = withSession(async ({ req, user }) => {
  const changes = updateProfileSchema.parse(await readJson(req));
  return NextResponse.json({ account: await updateProfile(getDb(), { userId: user.id, changes }) });
});
