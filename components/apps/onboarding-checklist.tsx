import Link from "next/link";
import type { Key, Usage } from "@/components/api-types";

export interface OnboardingState {
  hasKey: boolean;
  connected: boolean;
  sawMessage: boolean;
}

/** Each step ticks itself off from what the app has really done, never from clicks in the dashboard. */
export function onboardingState(keys: readonly Key[], usage: Usage): OnboardingState {
  return {
    hasKey: keys.some((key) => key.status === "active" || key.status === "expiring"),
    connected: usage.concurrentNow > 0 || usage.peakConcurrent > 0 || usage.connectionMinutes > 0 || keys.some((key) => key.lastUsedAt !== null),
    sawMessage: usage.messagesUsed > 0 || usage.deliveredMessages > 0,
  };
}

export function isOnboarded(state: OnboardingState): boolean {
  return state.hasKey && state.connected && state.sawMessage;
}

export function OnboardingChecklist({ appId, state }: { appId: string; state: OnboardingState }) {
  const steps = [
    { done: state.hasKey, title: "Create a key", body: "A publishable key for browsers, or a secret key your backend mints tokens with.", href: `/apps/${appId}/keys`, action: "Create a key" },
    { done: state.connected, title: "Connect a client", body: "Copy a snippet for Node, the browser or curl.", href: `/apps/${appId}/connect`, action: "Open Connect" },
    { done: state.sawMessage, title: "See your first message", body: "Publish from your client, or use the test console below.", href: "#test-console", action: "Open the test console" },
  ];
  const doneCount = steps.filter((step) => step.done).length;
  return (
    <section className="card stack" aria-labelledby="onboarding-heading" data-testid="onboarding">
      <div className="section-header">
        <h2 id="onboarding-heading">Get started</h2>
        <span className="muted small" aria-live="polite">
          {doneCount} of {steps.length} done
        </span>
      </div>
      <ol className="checklist">
        {steps.map((step) => (
          <li key={step.title} className={step.done ? "done" : undefined} aria-label={`${step.title}: ${step.done ? "done" : "to do"}`}>
            <span className="check" aria-hidden="true">
              {step.done ? "✓" : ""}
            </span>
            <div>
              <strong>{step.title}</strong>
              <p className="muted small">{step.body}</p>
            </div>
            {!step.done &&
              (step.href.startsWith("#") ? (
                <a href={step.href} className="small">
                  {step.action}
                </a>
              ) : (
                <Link href={step.href} className="small">
                  {step.action}
                </Link>
              ))}
          </li>
        ))}
      </ol>
      <p className="muted small">Usage charts appear here once the app has sent its first message.</p>
    </section>
  );
}
