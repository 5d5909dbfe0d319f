// POST /api/auth/password-reset/confirm – set a new password with a reset link's token (single use; only from our own pages)
import { NextResponse } from "next/server";
import { resetPasswordSchema } from "@/lib/account/account.types";
import { resetPassword } from "@/lib/account/password-reset";
import { getDb } from "@/lib/db";
import { readJson, withSameSitePublic } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export const POST = withSameSitePublic("password-reset-confirm", async ({ req }) => {
  const body = resetPasswordSchema.parse(await readJson(req));
  return NextResponse.json(await resetPassword(getDb(), body));
});
