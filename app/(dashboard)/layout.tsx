import type { ReactNode } from "react";
import { AppShell } from "@/components/app-shell";
import { NotificationBanners } from "@/components/notifications/notification-banners";
import { NotificationBell } from "@/components/notifications/notification-bell";
import { requirePageUser } from "@/lib/http/session";

// Every page in this group requires a signed-in user: deny by default.
export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const user = await requirePageUser();
  return (
    <AppShell user={user} alerts={{ bell: <NotificationBell />, banners: <NotificationBanners /> }}>
      {children}
    </AppShell>
  );
}
