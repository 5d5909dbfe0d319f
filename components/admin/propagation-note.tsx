"use client";
import type { RelayPropagation } from "@/components/relay-propagation";

function formatDuration(ms: number): string {
  return ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}

function formatClock(ms: number): string {
  return new Date(ms).toLocaleTimeString("en-US", { hour12: false, timeZone: "UTC" }) + " UTC";
}

/**
 * Says when relays will enforce a change: they pull the plan snapshot every refresh interval (and with
 * Redis get a change notice at once), so a change saved at T is enforced everywhere by T + interval.
 */
export function PropagationNote({ propagation, savedAt }: { propagation: RelayPropagation; savedAt: number | null }) {
  const interval = formatDuration(propagation.refreshMs);
  if (savedAt === null) {
    return (
      <p className="muted small">
        Relays pick up limit changes within {interval} (their plan-cache refresh interval)
        {propagation.instantNotice ? "; with Redis they are usually notified at once" : ""}.
      </p>
    );
  }
  return (
    <p className="banner banner-info" role="status" data-testid="propagation-note">
      Saved at {formatClock(savedAt)}. Every relay enforces it by {formatClock(savedAt + propagation.refreshMs)} (within {interval}
      {propagation.instantNotice ? ", usually at once through the Redis change notice" : ", the plan-cache refresh interval"}). Live connections are not
      dropped by a lower limit; new ones are checked against it.
    </p>
  );
}
