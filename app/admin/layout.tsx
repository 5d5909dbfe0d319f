import type { ReactNode } from "react";
import { AppShell } from "@/components/app-shell";
import { NavLink } from "@/components/nav-link";
import { getDb } from "@/lib/db";
import { requirePageAdmin } from "@/lib/http/session";
import { viewingAsOf } from "@/lib/tenancy/view-as";

export const metadata = { title: { default: "Admin", template: "%s · Admin · Tollgate" } };

// Anyone but a platform admin gets the plain not-found page: admin pages must not reveal they exist.
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const user = await requirePageAdmin();
  return (
    <AppShell user={user} viewingAs={await viewingAsOf(getDb(), user)}>
      <div className="stack">
        <h1>Platform admin</h1>
        <nav aria-label="Admin sections" className="tabs">
          <NavLink href="/admin" exact alsoMatches={["/admin/apps", "/admin/tenants"]}>
            Tenants &amp; apps
          </NavLink>
          <NavLink href="/admin/plans">Plans</NavLink>
          <NavLink href="/admin/audit">Audit log</NavLink>
          <NavLink href="/admin/settings">Invoicing</NavLink>
        </nav>
        {children}
      </div>
    </AppShell>
  );
}
