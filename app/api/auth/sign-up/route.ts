// POST /api/auth/sign-up – create a user and the tenant they own (public, but only from our own pages)
import { NextResponse } from "next/server";
import { signUp } from "@/lib/auth/sign-up";
import { signUpSchema } from "@/lib/auth/sign-up.types";
import { getDb } from "@/lib/db";
import { readJson, withSameSitePublic } from "@/lib/http/with-session";

export const POST = withSameSitePublic("sign-up", async ({ req }) => {
  const body = signUpSchema.parse(await readJson(req));
  const { user, tenant } = await signUp(getDb(), body);
  return NextResponse.json({ user: { id: user.id, email: user.email }, tenant }, { status: 201 });
});
