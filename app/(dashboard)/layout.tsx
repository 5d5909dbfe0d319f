import Link from "next/link";
import type { ReactNode } from "react";
import { SignOutButton } from "@/components/sign-out-button";
import { requirePageUser } from "@/lib/http/session";

// Every page in this group requires a signed-in user: deny by default.
export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const user = await requirePageUser();
  return (
    <div className="shell">
      <header className="topbar">
        <Link href="/apps" className="brand">
          Tollgate
        </Link>
        <nav aria-label="Main">
          <Link href="/apps">Apps</Link>
          {user.isPlatformAdmin && <Link href="/admin">Admin</Link>}
        </nav>
        <span className="muted user-email">{user.email}</span>
        <SignOutButton />
      </header>
      <main className="content">{children}</main>
    </div>
  );
}
