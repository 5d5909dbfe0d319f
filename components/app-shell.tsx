import Link from "next/link";
import type { ReactNode } from "react";
import type { SessionUser } from "@/lib/auth/authenticate";
import { NavLink } from "@/components/nav-link";
import { SignOutButton } from "@/components/sign-out-button";
import { ThemeToggle } from "@/components/theme/theme-toggle";

/** The signed-in frame shared by the customer dashboard and the admin pages. */
export function AppShell({ user, children }: { user: SessionUser; children: ReactNode }) {
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
          {user.isPlatformAdmin && <NavLink href="/admin">Admin</NavLink>}
        </nav>
        <span className="muted user-email">{user.email}</span>
        <ThemeToggle />
        <SignOutButton />
      </header>
      <main id="main" className="content">
        {children}
      </main>
    </div>
  );
}
