// POST /api/account/password – change the password; every session ends (the browser signs in again)
import { NextResponse } from "next/server";
import { changePasswordSchema } from "@/lib/account/account.types";
import { changePassword } from "@/lib/account/manage-account";
import { getDb } from "@/lib/db";
import { readJson, withSession } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export const POST = withSession(async ({ req, user }) => {
  const body = changePasswordSchema.parse(await readJson(req));
  await changePassword(getDb(), { userId: user.id, ...body });
  return NextResponse.json({ changed: true });
});
