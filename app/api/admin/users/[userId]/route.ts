// PATCH /api/admin/users/:userId – grant or remove platform-admin rights; a demotion ends the user's sessions (platform admins)
import { NextResponse } from "next/server";
import { setPlatformAdminSchema } from "@/lib/account/account.types";
import { setPlatformAdmin } from "@/lib/account/manage-account";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { readJson, withSession } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export const PATCH = withSession<{ userId: string }>(
  async ({ req, user, params }) => {
    const { isPlatformAdmin } = setPlatformAdminSchema.parse(await readJson(req));
    return NextResponse.json({ user: await setPlatformAdmin(getDb(), { actor: actorOf(user), userId: params.userId, isPlatformAdmin }) });
  },
  { requireAdmin: true },
);
