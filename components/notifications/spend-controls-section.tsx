"use client";
// Billing area: the monthly spend cap on usage charges and the monthly ceiling on auto-recharges.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { apiFetch, fieldError } from "@/components/api";
import { RequiresPermission } from "@/components/apps/app-permissions";
import { formatDate, formatMoney, minorToInput, parseMoneyToMinor } from "@/components/format";
import { Field, FormError } from "@/components/ui/field";
import { useToast } from "@/components/ui/toast";
import { notificationKeys } from "./queries";

interface SpendControls {
  monthlySpendCapMinor: number | null;
  autoRechargeMonthlyCeilingMinor: number | null;
  usageChargesThisPeriodMinor: number;
  autoRechargedThisPeriodMinor: number;
  spendCapReached: boolean;
  periodEnd: string;
}

const MIN_MINOR = 100;
const MAX_MINOR = 100_000_000;

/** Empty means "no limit"; otherwise dollars and cents between $1.00 and $1,000,000.00. */
function parseOptionalLimit(text: string): { value: number | null } | { error: string } {
  if (text.trim() === "") return { value: null };
  const minor = parseMoneyToMinor(text);
  if (minor === null || minor < MIN_MINOR || minor > MAX_MINOR) return { error: "Enter an amount between $1.00 and $1,000,000.00, or leave empty for no limit" };
  return { value: minor };
}

export function SpendControlsSection({ appId }: { appId: string }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const controls = useQuery({
    queryKey: notificationKeys.spendControls(appId),
    queryFn: async () => (await apiFetch<{ spendControls: SpendControls }>(`/api/apps/${encodeURIComponent(appId)}/billing/spend-controls`)).spendControls,
  });
  const [cap, setCap] = useState("");
  const [ceiling, setCeiling] = useState("");
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  useEffect(() => {
    if (!controls.data) return;
    setCap(controls.data.monthlySpendCapMinor === null ? "" : minorToInput(controls.data.monthlySpendCapMinor));
    setCeiling(controls.data.autoRechargeMonthlyCeilingMinor === null ? "" : minorToInput(controls.data.autoRechargeMonthlyCeilingMinor));
  }, [controls.data]);

  const save = useMutation({
    mutationFn: (body: { monthlySpendCapMinor: number | null; autoRechargeMonthlyCeilingMinor: number | null }) =>
      apiFetch<{ spendControls: SpendControls }>(`/api/apps/${encodeURIComponent(appId)}/billing/spend-controls`, { method: "PUT", body }),
    onSuccess: ({ spendControls }) => {
      queryClient.setQueryData(notificationKeys.spendControls(appId), spendControls);
      toast.show("Spend limits saved");
    },
  });

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const parsedCap = parseOptionalLimit(cap);
    const parsedCeiling = parseOptionalLimit(ceiling);
    const errors: Record<string, string> = {};
    if ("error" in parsedCap) errors.monthlySpendCapMinor = parsedCap.error;
    if ("error" in parsedCeiling) errors.autoRechargeMonthlyCeilingMinor = parsedCeiling.error;
    setLocalErrors(errors);
    if ("error" in parsedCap || "error" in parsedCeiling) return;
    save.mutate({ monthlySpendCapMinor: parsedCap.value, autoRechargeMonthlyCeilingMinor: parsedCeiling.value });
  }

  const data = controls.data;
  return (
    <section className="card stack" aria-labelledby="spend-limits-heading">
      <h2 id="spend-limits-heading">Spend limits</h2>
      <p className="muted small">
        The spend cap stops usage charges (overage and pay-as-you-go) for the period once reached: the relay then treats the balance as exhausted, so new
        connections over the plan are refused (4010) and messages over it get <code>over_message_quota</code>. The ceiling bounds what auto-recharge may charge per period.
      </p>
      {data && (
        <p className="small" data-testid="spend-this-period">
          This period (until {formatDate(data.periodEnd)}): usage charges {formatMoney(data.usageChargesThisPeriodMinor)}
          {data.monthlySpendCapMinor !== null && ` of ${formatMoney(data.monthlySpendCapMinor)}`}, auto-recharged {formatMoney(data.autoRechargedThisPeriodMinor)}
          {data.autoRechargeMonthlyCeilingMinor !== null && ` of ${formatMoney(data.autoRechargeMonthlyCeilingMinor)}`}.
          {data.spendCapReached && <strong className="text-critical"> The spend cap is reached.</strong>}
        </p>
      )}
      {controls.isError && <p className="small text-critical">{controls.error.message}</p>}
      <RequiresPermission permission="billing.manage" action="change spend limits">
        <form className="form-grid two-col-form" onSubmit={onSubmit} aria-label="Spend limits" noValidate>
          <Field label="Monthly spend cap (USD)" hint="Empty: no cap" error={localErrors.monthlySpendCapMinor ?? fieldError(save.error, "monthlySpendCapMinor")}>
            <input inputMode="decimal" value={cap} onChange={(event) => setCap(event.target.value)} />
          </Field>
          <Field
            label="Monthly auto-recharge ceiling (USD)"
            hint="Empty: no ceiling"
            error={localErrors.autoRechargeMonthlyCeilingMinor ?? fieldError(save.error, "autoRechargeMonthlyCeilingMinor")}
          >
            <input inputMode="decimal" value={ceiling} onChange={(event) => setCeiling(event.target.value)} />
          </Field>
          <FormError error={save.error} shownFields={["monthlySpendCapMinor", "autoRechargeMonthlyCeilingMinor"]} />
          <div className="actions">
            <button type="submit" className="primary" disabled={save.isPending || !data}>
              {save.isPending ? "Saving…" : "Save spend limits"}
            </button>
          </div>
        </form>
      </RequiresPermission>
    </section>
  );
}
