// What the team of a suspended app is told: the reason, since when, and whether the suspension email
// reached them (it is sent only when SMTP is configured), so the dashboard never points at a mail
// that was not sent.
import type { Db } from "@/lib/db";

/** "sent": delivered; "sending": SMTP is set and the delivery is still being tried; "not_sent": skipped (no SMTP) or failed. */
export type SuspensionEmailState = "sent" | "sending" | "not_sent";

export interface SuspensionNotice {
  reason: string | null;
  suspendedAt: string | null;
  email: SuspensionEmailState;
}

const EMAIL_STATE = { succeeded: "sent", pending: "sending", skipped: "not_sent", failed: "not_sent" } as const satisfies Record<string, SuspensionEmailState>;

/** null unless the app is suspended now. */
export async function getSuspensionNotice(db: Db, input: { appId: string }): Promise<SuspensionNotice | null> {
  const app = await db.app.findUnique({ where: { id: input.appId }, select: { status: true, suspendedReason: true, suspendedAt: true } });
  if (app?.status !== "suspended") return null;
  const delivery = await db.notificationDelivery.findFirst({
    where: { channel: "email", event: { appId: input.appId, type: "app.suspended" } },
    orderBy: { createdAt: "desc" },
    select: { status: true },
  });
  return { reason: app.suspendedReason, suspendedAt: app.suspendedAt?.toISOString() ?? null, email: delivery ? EMAIL_STATE[delivery.status] : "not_sent" };
}
