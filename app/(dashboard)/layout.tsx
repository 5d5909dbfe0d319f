import type { ReactNode } from "react";
import { AppShell } from "@/components/app-shell";
import { NotificationBanners } from "@/components/notifications/notification-banners";
import { NotificationBell } from "@/components/notifications/notification-bell";
import { getDb } from "@/lib/db";
import { requirePageUser } from "@/lib/http/session";
import { viewingAsOf } from "@/lib/tenancy/view-as";

// Every page in this group requires a signed-in user: deny by default.
export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const user = await requirePageUser();
  return (
    <AppShell user={user} viewingAs={await viewingAsOf(getDb(), user)} alerts={{ bell: <NotificationBell />, banners: <NotificationBanners /> }}>
      {children}
    </AppShell>
  );
}
