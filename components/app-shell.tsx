import Link from "next/link";
import type { ReactNode } from "react";
import type { SessionUser } from "@/lib/auth/authenticate";
import { ViewAsBanner } from "@/components/admin/view-as-banner";
import { NavLink } from "@/components/nav-link";
import type { ViewingAs } from "@/lib/tenancy/view-as";
import { SignOutButton } from "@/components/sign-out-button";
import { TenantSwitcher } from "@/components/teams/tenant-switcher";
import { ThemeToggle } from "@/components/theme/theme-toggle";

/** The signed-in frame shared by the customer dashboard and the admin pages. */
/** `alerts` is the notification slot: a bell in the top bar and banners above the page. */
/** `viewingAs`: a platform admin viewing as a customer (lib/tenancy/view-as.ts), announced above every page. */
export function AppShell({
  user,
  children,
  alerts,
  viewingAs,
}: {
  user: SessionUser;
  children: ReactNode;
  alerts?: { bell: ReactNode; banners: ReactNode };
  viewingAs?: ViewingAs | null;
}) {
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/apps" className="brand">
          Tollgate
        </Link>
        <nav aria-label="Main" className="main-nav">
          <NavLink href="/apps">Apps</NavLink>
          <NavLink href="/team" exact>
            Team
          </NavLink>
          <NavLink href="/team/invoices">Invoices</NavLink>
          <NavLink href="/account">Account</NavLink>
          <NavLink href="/docs">Docs</NavLink>
          {user.isPlatformAdmin && <NavLink href="/admin">Admin</NavLink>}
        </nav>
        <TenantSwitcher />
        {alerts?.bell}
        <span className="muted user-email">{user.email}</span>
        <ThemeToggle />
        <SignOutButton />
      </header>
      <main id="main" className="content">
        {viewingAs && <ViewAsBanner viewingAs={viewingAs} />}
        {alerts?.banners}
        {children}
      </main>
    </div>
  );
}
