// The billing events other parts of Tollgate announce (dashboard notifications, email, webhooks). Until the
// alerts module is merged this is the single place they are emitted: a structured log line per event,
// so wiring the notifier in later means changing this one function.
export type BillingEvent =
  /** A renewal could not be charged: the app is past due and keeps its plan until graceEndsAt. */
  | { type: "plan_fee.past_due"; appId: string; amountMinor: number; reason: string; graceEndsAt: string }
  | { type: "plan_fee.paid"; appId: string; amountMinor: number; periodStart: string };

export function emitBillingEvent(event: BillingEvent): void {
  console.log(JSON.stringify({ level: "info", msg: "billing event", ...event }));
}
