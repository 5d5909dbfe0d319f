"use client";
import { formatInterval, type RelayPropagation } from "@/components/relay-propagation";

function formatClock(ms: number): string {
  return new Date(ms).toLocaleTimeString("en-US", { hour12: false, timeZone: "UTC" }) + " UTC";
}

/**
 * Says when relays will enforce a change: they are notified at once, and they also pull the plan snapshot
 * every refresh interval, so a change saved at T is enforced everywhere by T + interval even if a notice
 * is lost.
 */
export function PropagationNote({
  propagation,
  savedAt,
  change = "limits",
}: {
  propagation: RelayPropagation;
  savedAt: number | null;
  /** What was saved: a suspension closes live connections, a limit change does not. */
  change?: "limits" | "suspension" | "resume";
}) {
  const interval = formatInterval(propagation.refreshMs);
  if (savedAt === null) {
    return (
      <p className="muted small">
        Relays are notified of limit changes at once; at the latest they pick them up within {interval}, their plan-cache
        refresh interval.
      </p>
    );
  }
  return (
    <p className="banner banner-info" role="status" data-testid="propagation-note">
      Saved at {formatClock(savedAt)}. Relays are notified at once; every relay enforces it by{" "}
      {formatClock(savedAt + propagation.refreshMs)} at the latest (within {interval}, the plan-cache refresh interval).{" "}
      {change === "suspension"
        ? "Each relay then closes the app's live connections with code 4012 and refuses new ones."
        : change === "resume"
          ? "Clients can connect again from then on."
          : "Live connections are not dropped by a lower limit; new ones are checked against it."}
    </p>
  );
}
