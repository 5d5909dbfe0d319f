"use client";
// The notification centre in the top bar: a bell with the unread count, and a panel listing the latest
// events of the user's apps with "mark read" per item and for all.
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { formatRelative } from "@/components/format";
import styles from "./notifications.module.css";
import { type Notification, useMarkRead, useNotifications } from "./queries";

export function NotificationBell() {
  const notifications = useNotifications();
  const markRead = useMarkRead();
  const [open, setOpen] = useState(false);
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent | KeyboardEvent) => {
      if (event instanceof KeyboardEvent ? event.key === "Escape" : !container.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", close);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", close);
    };
  }, [open]);
  const unread = notifications.data?.unreadCount ?? 0;
  const items = notifications.data?.notifications ?? [];
  return (
    <div className={styles.bell} ref={container}>
      <button
        type="button"
        className={styles.bellButton}
        aria-expanded={open}
        aria-haspopup="dialog"
        aria-label={unread > 0 ? `Notifications, ${unread} unread` : "Notifications"}
        onClick={() => setOpen((value) => !value)}
      >
        <svg aria-hidden="true" width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
          <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" />
          <path d="M13.7 21a2 2 0 0 1-3.4 0" />
        </svg>
        {unread > 0 && (
          <span className={styles.unread} data-testid="unread-count">
            {unread}
          </span>
        )}
      </button>
      {open && (
        <div className={styles.panel} role="dialog" aria-label="Notifications">
          <div className={styles.panelHead}>
            <strong>Notifications</strong>
            <button type="button" className="link-button small" disabled={unread === 0 || markRead.isPending} onClick={() => markRead.mutate({ all: true })}>
              Mark all read
            </button>
          </div>
          {notifications.isError && <p className="small text-critical">Notifications could not be loaded.</p>}
          {items.length === 0 ? (
            <p className="muted small">Nothing yet. Usage alerts, billing problems and admin changes show up here.</p>
          ) : (
            <ul className={styles.list}>
              {items.map((item) => (
                <NotificationItem key={item.id} item={item} onRead={() => markRead.mutate({ eventIds: [item.id] })} onNavigate={() => setOpen(false)} />
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}

function NotificationItem({ item, onRead, onNavigate }: { item: Notification; onRead: () => void; onNavigate: () => void }) {
  const classes = [styles.item, item.readAt ? "" : styles.itemUnread, !item.readAt && item.severity === "critical" ? styles.itemCritical : ""].join(" ");
  return (
    <li className={classes}>
      <div className={styles.itemHead}>
        <Link href={`/apps/${encodeURIComponent(item.appId)}/billing`} onClick={onNavigate}>
          {item.title}
        </Link>
        <span className="muted small">{formatRelative(item.createdAt)}</span>
      </div>
      <span className="small">{item.message}</span>
      {!item.readAt && (
        <button type="button" className="link-button small" onClick={onRead} aria-label={`Mark read: ${item.title}`}>
          Mark read
        </button>
      )}
    </li>
  );
}
