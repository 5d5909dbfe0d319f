import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { AppPermissionsProvider } from "@/components/apps/app-permissions";
import { SuspendedBadge, SuspensionBanner } from "@/components/apps/suspension-banner";
import { NavLink } from "@/components/nav-link";
import { getSuspensionNotice } from "@/lib/apps/suspension-notice";
import type { SessionUser } from "@/lib/auth/authenticate";
import { getDb } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { requirePageUser } from "@/lib/http/session";
import { permissionsOf, roleCan, type TenantRole } from "@/lib/tenancy/permissions";
import { requireAppAccess } from "@/lib/tenancy/require-app-access";

/** The name of an app the user may see, or null (another tenant's app and a missing one alike). */
async function visibleAppName(user: SessionUser, appId: string): Promise<string | null> {
  const db = getDb();
  try {
    await requireAppAccess(db, { userId: user.id, viewingTenantId: user.viewingTenantId, appId });
  } catch (error) {
    if (error instanceof DomainError && error.code === "not_found") return null;
    throw error;
  }
  return (await db.app.findUnique({ where: { id: appId }, select: { name: true } }))?.name ?? null;
}

// Every tab's title names the app: "Keys · Chat demo · Tollgate". A template does not apply to the page of
// its own segment, so the overview's title is this layout's default ("Overview · Chat demo", then the root template).
export async function generateMetadata({ params }: { params: Promise<{ appId: string }> }): Promise<Metadata> {
  const { appId } = await params;
  const user = await requirePageUser();
  const name = await visibleAppName(user, appId);
  return name ? { title: { default: `Overview · ${name}`, template: `%s · ${name} · Tollgate` } } : {};
}

// Another tenant's app and an app that does not exist look the same: a plain not-found page.
export default async function AppLayout({ children, params }: { children: ReactNode; params: Promise<{ appId: string }> }) {
  const { appId } = await params;
  const user = await requirePageUser();
  const db = getDb();
  let role: TenantRole;
  try {
    ({ role } = await requireAppAccess(db, { userId: user.id, viewingTenantId: user.viewingTenantId, appId }));
  } catch (error) {
    if (error instanceof DomainError && error.code === "not_found") notFound();
    throw error;
  }
  const app = await db.app.findFirst({ where: { id: appId, deletedAt: null }, select: { name: true, status: true } });
  if (!app) notFound();
  const suspension = await getSuspensionNotice(db, { appId });
  const base = `/apps/${appId}`;
  return (
    <AppPermissionsProvider permissions={permissionsOf(role)}>
      <div className="stack">
        <div className="app-header">
          <Link href="/apps" className="muted small">
            ← All apps
          </Link>
          <h1>
            {app.name} <SuspendedBadge appId={appId} suspendedOnServer={app.status === "suspended"} />
          </h1>
          <code className="muted small">{appId}</code>
        </div>
        <SuspensionBanner appId={appId} notice={suspension} />
        {!roleCan(role, "billing.manage") && (
          <p className="banner banner-info" data-testid="role-notice">
            You are a <strong>member</strong> of this team: you can use this app, its keys and its usage. Changing the plan or billing and deleting the
            app are for the team&apos;s owners.
          </p>
        )}
        <nav aria-label="App sections" className="tabs">
          <NavLink href={base} exact>
            Overview
          </NavLink>
          <NavLink href={`${base}/keys`}>Keys</NavLink>
          <NavLink href={`${base}/activity`}>Activity</NavLink>
          <NavLink href={`${base}/billing`}>Plan &amp; billing</NavLink>
          <NavLink href={`${base}/connect`}>Connect</NavLink>
          <NavLink href={`${base}/settings`}>Settings</NavLink>
        </nav>
        {children}
      </div>
    </AppPermissionsProvider>
  );
}
