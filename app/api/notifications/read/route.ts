// POST /api/notifications/read – mark events read: {"eventIds": [...]} or {"all": true, "appId"?: "..."}
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { readJson, withSession } from "@/lib/http/with-session";
import { markReadSchema } from "@/lib/notifications/app-event.types";
import { markNotificationsRead } from "@/lib/notifications/list-notifications";

export const dynamic = "force-dynamic";

export const POST = withSession(async ({ req, user }) => {
  const body = markReadSchema.parse(await readJson(req));
  return NextResponse.json(await markNotificationsRead(getDb(), { userId: user.id, body }));
});
