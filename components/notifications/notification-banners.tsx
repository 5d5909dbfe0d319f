"use client";
// Banners for the serious, unread events (quota reached, spend cap reached, recharge declined, plan fee
// failed, grace period ended, app suspended) above every dashboard page until dismissed (marked read)
// or, for a suspension, until the app is resumed.
import Link from "next/link";
import { usePathname } from "next/navigation";
import styles from "./notifications.module.css";
import { type Notification, useMarkRead, useNotifications } from "./queries";

const MAX_BANNERS = 3;

export function NotificationBanners() {
  const notifications = useNotifications();
  const markRead = useMarkRead();
  const pathname = usePathname();
  // A suspended app's own pages carry its suspension banner (with what to do): one banner, not two.
  const saidByThePage = (item: Notification) => item.type === "app.suspended" && (pathname === `/apps/${item.appId}` || pathname.startsWith(`/apps/${item.appId}/`));
  const banners = (notifications.data?.notifications ?? []).filter((item) => item.banner && !item.readAt && !saidByThePage(item)).slice(0, MAX_BANNERS);
  if (banners.length === 0) return null;
  return (
    <div className={styles.banners} aria-label="Alerts">
      {banners.map((item) => (
        <div key={item.id} role="alert" className={`banner ${item.severity === "critical" ? "banner-critical" : "banner-warning"} ${styles.bannerRow}`}>
          <span>
            <strong>{item.title}.</strong> {item.message}{" "}
            <Link href={`/apps/${encodeURIComponent(item.appId)}/billing`}>Open billing</Link>
          </span>
          <button type="button" className="small-button" onClick={() => markRead.mutate({ eventIds: [item.id] })}>
            Dismiss
          </button>
        </div>
      ))}
    </div>
  );
}
