// POST /api/auth/sign-up – create a user and the tenant they own
import { NextResponse, type NextRequest } from "next/server";
import { signUp } from "@/lib/auth/sign-up";
import { signUpSchema } from "@/lib/auth/sign-up.types";
import { getDb } from "@/lib/db";
import { handleApiError } from "@/lib/http/handle-api-error";
import { readJson } from "@/lib/http/with-session";

export async function POST(req: NextRequest) {
  try {
    const body = signUpSchema.parse(await readJson(req));
    const { user, tenant } = await signUp(getDb(), body);
    return NextResponse.json({ user: { id: user.id, email: user.email }, tenant }, { status: 201 });
  } catch (error) {
    return handleApiError(error);
  }
}
