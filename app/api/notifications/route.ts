// GET /api/notifications?appId=&unreadOnly= – the notification centre: latest events of the user's apps and the unread count
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { withSession } from "@/lib/http/with-session";
import { notificationListQuerySchema } from "@/lib/notifications/app-event.types";
import { listNotifications } from "@/lib/notifications/list-notifications";

export const dynamic = "force-dynamic";

export const GET = withSession(async ({ req, user }) => {
  const query = notificationListQuerySchema.parse(Object.fromEntries(req.nextUrl.searchParams));
  return NextResponse.json(await listNotifications(getDb(), { userId: user.id, appId: query.appId, unreadOnly: query.unreadOnly === "true" }));
});
