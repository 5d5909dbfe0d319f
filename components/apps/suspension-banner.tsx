"use client";
// The one place an app's pages say it is suspended (the notification banner of the suspension stays
// off these pages). The layout renders it with the server's notice; while the app is suspended its
// status is polled, so the banner and badge go once an admin resumes it, without a reload.
import type { App } from "@/components/api-types";
import { useApp } from "@/components/apps/queries";
import type { SuspensionEmailState, SuspensionNotice } from "@/lib/apps/suspension-notice";

const SUSPENDED_POLL_MS = 10_000;

const EMAIL_SENTENCE: Record<SuspensionEmailState, string> = {
  sent: "The team's members were emailed about it.",
  sending: "An email about it is on its way to the team's members.",
  not_sent: "No email was sent about it.",
};

function useSuspension(appId: string, suspendedOnServer: boolean) {
  // Until the app query answers, the server's word at render time stands.
  const isSuspended = (app: App | undefined) => (app?.status ?? (suspendedOnServer ? "suspended" : "active")) === "suspended";
  const app = useApp(appId, { refetchIntervalFor: (seen) => (isSuspended(seen) ? SUSPENDED_POLL_MS : false) });
  return { suspended: isSuspended(app.data), reason: app.data?.suspendedReason ?? null };
}

export function SuspendedBadge({ appId, suspendedOnServer }: { appId: string; suspendedOnServer: boolean }) {
  return useSuspension(appId, suspendedOnServer).suspended ? <span className="badge suspended">suspended</span> : null;
}

export function SuspensionBanner({ appId, notice }: { appId: string; notice: SuspensionNotice | null }) {
  const { suspended, reason } = useSuspension(appId, notice !== null);
  if (!suspended) return null;
  const shownReason = reason ?? notice?.reason ?? null;
  return (
    <div className="banner banner-critical" role="alert" data-testid="suspension-banner">
      <strong>This app is suspended by the Tollgate team.</strong> Its live connections were closed (code 4012) and new ones are refused; REST calls
      answer 403 app_suspended.
      {shownReason ? <> Reason: “{shownReason}”.</> : null} {notice ? EMAIL_SENTENCE[notice.email] : null} To get it resumed, write to your Tollgate
      operator&apos;s support address with the app id <code>{appId}</code>.
    </div>
  );
}
