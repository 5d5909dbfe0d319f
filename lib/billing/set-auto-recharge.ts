import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import { recordRelayChange } from "@/lib/relay/relay-feed";
import type { AutoRechargeBody, AutoRechargeView } from "./billing.types";
import { describePaymentMethod, type PaymentProvider } from "./payment-provider";
import { teamAccountOfApp } from "./team-account";

/** Saves the team's auto-recharge settings (and a new card when given). Enabling needs a stored card. */
export async function setAutoRecharge(
  db: Db,
  provider: PaymentProvider,
  input: { actor: Actor; appId: string; settings: AutoRechargeBody },
): Promise<{ autoRecharge: AutoRechargeView; paymentMethod: ReturnType<typeof describePaymentMethod> }> {
  // The team's wallet, set from any of its apps' billing pages.
  const account = await teamAccountOfApp(db, input.appId);
  let paymentMethodRef = account.paymentMethodRef;
  let reported = { brand: account.paymentMethodBrand, last4: account.paymentMethodLast4 };
  if (input.settings.cardNumber) {
    const saved = await provider.savePaymentMethod(input.settings.cardNumber);
    if (saved.status === "invalid") throw new DomainError("unprocessable", saved.message, { field: "cardNumber" });
    if (saved.status === "declined") throw new DomainError("payment_failed", `${saved.message} (${saved.declineCode})`, { field: "cardNumber" });
    paymentMethodRef = saved.paymentMethodRef;
    reported = { brand: null, last4: null };
  }
  if (input.settings.enabled && !paymentMethodRef) {
    throw new DomainError("unprocessable", "Add a card to turn on auto-recharge", { field: "cardNumber" });
  }
  const before = { enabled: account.autoRechargeEnabled, thresholdMinor: account.autoRechargeThresholdMinor, amountMinor: account.autoRechargeAmountMinor };
  const after: AutoRechargeView = { enabled: input.settings.enabled, thresholdMinor: input.settings.thresholdMinor, amountMinor: input.settings.amountMinor };
  await db.$transaction(async (tx) => {
    await tx.billingAccount.update({
      where: { id: account.id },
      data: {
        autoRechargeEnabled: after.enabled,
        autoRechargeThresholdMinor: after.thresholdMinor,
        autoRechargeAmountMinor: after.amountMinor,
        // Only a new card is written: a card saved meanwhile (a Stripe webhook) is not put back.
        ...(input.settings.cardNumber ? { paymentMethodRef, paymentMethodBrand: null, paymentMethodLast4: null } : {}),
      },
    });
    await writeAuditLog(tx, {
      actor: input.actor,
      action: "billing.auto_recharge",
      targetType: "app",
      targetId: input.appId,
      before: { ...before, paymentMethod: describePaymentMethod(account.paymentMethodRef, { brand: account.paymentMethodBrand, last4: account.paymentMethodLast4 })?.last4 ?? null },
      after: { ...after, paymentMethod: describePaymentMethod(paymentMethodRef, reported)?.last4 ?? null },
    });
    await recordRelayChange(tx, { tenantId: account.tenantId });
  });
  notifyRelaysOfChange({ appId: input.appId, kind: "billing" });
  return { autoRecharge: after, paymentMethod: describePaymentMethod(paymentMethodRef, reported) };
}
