// POST /api/auth/password-reset/confirm – set a new password with a reset link's token (single use)
import { NextResponse, type NextRequest } from "next/server";
import { resetPasswordSchema } from "@/lib/account/account.types";
import { resetPassword } from "@/lib/account/password-reset";
import { getDb } from "@/lib/db";
import { handleApiError } from "@/lib/http/handle-api-error";
import { readJson } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export async function POST(req: NextRequest) {
  try {
    const body = resetPasswordSchema.parse(await readJson(req));
    return NextResponse.json(await resetPassword(getDb(), body));
  } catch (error) {
    return handleApiError(error);
  }
}
