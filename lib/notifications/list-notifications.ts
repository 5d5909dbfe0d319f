// The notification centre: events of the apps a user can reach (newest first), the unread count, and
// marking read. Read state belongs to the app's event, shared by the app's members. Test webhook
// events are not notifications and are never listed.
import type { Db, Prisma } from "@/lib/db";
import { BANNER_EVENT_TYPES, type AppEventType, type MarkReadBody, type NotificationView } from "./app-event.types";

const LIST_LIMIT = 50;

function visibleTo(userId: string, appId?: string): Prisma.AppEventWhereInput {
  return { type: { not: "webhook.test" }, app: { ...(appId ? { id: appId } : {}), tenant: { memberships: { some: { userId } } } } };
}

export async function listNotifications(
  db: Db,
  input: { userId: string; appId?: string; unreadOnly?: boolean },
): Promise<{ notifications: NotificationView[]; unreadCount: number }> {
  const where = visibleTo(input.userId, input.appId);
  const [events, unreadCount] = await Promise.all([
    db.appEvent.findMany({
      where: { ...where, ...(input.unreadOnly ? { readAt: null } : {}) },
      orderBy: { createdAt: "desc" },
      take: LIST_LIMIT,
      include: { app: { select: { name: true } } },
    }),
    db.appEvent.count({ where: { ...where, readAt: null } }),
  ]);
  return {
    unreadCount,
    notifications: events.map((event) => ({
      id: event.id,
      appId: event.appId,
      appName: event.app.name,
      type: event.type as AppEventType,
      severity: event.severity,
      title: event.title,
      message: event.message,
      data: event.data,
      banner: BANNER_EVENT_TYPES.includes(event.type as AppEventType),
      readAt: event.readAt?.toISOString() ?? null,
      createdAt: event.createdAt.toISOString(),
    })),
  };
}

/** Marks the given events (or all of the user's, optionally of one app) read; returns how many changed. */
export async function markNotificationsRead(db: Db, input: { userId: string; body: MarkReadBody }): Promise<{ marked: number }> {
  const where = "eventIds" in input.body ? { ...visibleTo(input.userId), id: { in: input.body.eventIds } } : visibleTo(input.userId, input.body.appId);
  const result = await db.appEvent.updateMany({ where: { ...where, readAt: null }, data: { readAt: new Date() } });
  return { marked: result.count };
}
