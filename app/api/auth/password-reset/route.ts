// POST /api/auth/password-reset – mail a reset link (signed out, only from our own pages; the same answer whether or not the account exists)
import { NextResponse } from "next/server";
import { requestPasswordResetSchema } from "@/lib/account/account.types";
import { requestPasswordReset } from "@/lib/account/password-reset";
import { getDb } from "@/lib/db";
import { publicDashboardUrl } from "@/lib/env";
import { getMailer } from "@/lib/email/mailer";
import { readJson, withSameSitePublic } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export const POST = withSameSitePublic("password-reset", async ({ req }) => {
  const { email } = requestPasswordResetSchema.parse(await readJson(req));
  await requestPasswordReset(getDb(), { mailer: getMailer(), baseUrl: publicDashboardUrl() }, { email });
  return NextResponse.json({ sent: true }, { status: 202 });
});
