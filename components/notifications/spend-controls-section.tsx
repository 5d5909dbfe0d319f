"use client";
// Billing area: this app's spend cap on usage charges, and the team's cap and monthly ceiling on
// auto-recharges (issue 27: the wallet, and so its guardrails, are the team's).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { apiFetch, fieldError } from "@/components/api";
import { RequiresPermission } from "@/components/apps/app-permissions";
import { formatDate, formatMoney, minorToInput, parseMoneyToMinor } from "@/components/format";
import { Field, FormError } from "@/components/ui/field";
import { useToast } from "@/components/ui/toast";
import type { SpendControlsView } from "@/lib/billing/spend-controls.types";
import { notificationKeys } from "./queries";

type SpendControls = SpendControlsView;

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
  const [teamCap, setTeamCap] = useState("");
  const [ceiling, setCeiling] = useState("");
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  useEffect(() => {
    if (!controls.data) return;
    setCap(controls.data.monthlySpendCapMinor === null ? "" : minorToInput(controls.data.monthlySpendCapMinor));
    setTeamCap(controls.data.team.monthlySpendCapMinor === null ? "" : minorToInput(controls.data.team.monthlySpendCapMinor));
    setCeiling(controls.data.team.autoRechargeMonthlyCeilingMinor === null ? "" : minorToInput(controls.data.team.autoRechargeMonthlyCeilingMinor));
  }, [controls.data]);

  const save = useMutation({
    mutationFn: (body: { monthlySpendCapMinor: number | null; teamMonthlySpendCapMinor: number | null; autoRechargeMonthlyCeilingMinor: number | null }) =>
      apiFetch<{ spendControls: SpendControls }>(`/api/apps/${encodeURIComponent(appId)}/billing/spend-controls`, { method: "PUT", body }),
    onSuccess: ({ spendControls }) => {
      queryClient.setQueryData(notificationKeys.spendControls(appId), spendControls);
      toast.show("Spend limits saved");
    },
  });

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const parsedCap = parseOptionalLimit(cap);
    const parsedTeamCap = parseOptionalLimit(teamCap);
    const parsedCeiling = parseOptionalLimit(ceiling);
    const errors: Record<string, string> = {};
    if ("error" in parsedCap) errors.monthlySpendCapMinor = parsedCap.error;
    if ("error" in parsedTeamCap) errors.teamMonthlySpendCapMinor = parsedTeamCap.error;
    if ("error" in parsedCeiling) errors.autoRechargeMonthlyCeilingMinor = parsedCeiling.error;
    setLocalErrors(errors);
    if ("error" in parsedCap || "error" in parsedTeamCap || "error" in parsedCeiling) return;
    save.mutate({ monthlySpendCapMinor: parsedCap.value, teamMonthlySpendCapMinor: parsedTeamCap.value, autoRechargeMonthlyCeilingMinor: parsedCeiling.value });
  }

  const data = controls.data;
  return (
    <section className="card stack" aria-labelledby="spend-limits-heading">
      <h2 id="spend-limits-heading">Spend limits</h2>
      <p className="muted small">
        A spend cap stops usage charges (overage and pay-as-you-go) once reached: the relay then treats the balance as exhausted, so new connections over the
        plan are refused (4010) and messages over it get <code>over_message_quota</code>. This app&apos;s cap counts its own usage per billing period; the
        team&apos;s cap counts all the team&apos;s apps per calendar month (UTC). The team&apos;s ceiling bounds what auto-recharge may charge per month.
      </p>
      {data && (
        <p className="small" data-testid="spend-this-period">
          This app this period (until {formatDate(data.periodEnd)}): usage charges {formatMoney(data.usageChargesThisPeriodMinor)}
          {data.monthlySpendCapMinor !== null && ` of ${formatMoney(data.monthlySpendCapMinor)}`}.
          {data.spendCapReached && <strong className="text-critical"> This app&apos;s spend cap is reached.</strong>}
        </p>
      )}
      {data && (
        <p className="small" data-testid="team-spend-this-month">
          The team this month (until {formatDate(data.team.monthEnd)}): usage charges {formatMoney(data.team.usageChargesThisMonthMinor)}
          {data.team.monthlySpendCapMinor !== null && ` of ${formatMoney(data.team.monthlySpendCapMinor)}`}, auto-recharged{" "}
          {formatMoney(data.team.autoRechargedThisMonthMinor)}
          {data.team.autoRechargeMonthlyCeilingMinor !== null && ` of ${formatMoney(data.team.autoRechargeMonthlyCeilingMinor)}`}.
          {data.team.spendCapReached && <strong className="text-critical"> The team&apos;s spend cap is reached.</strong>}
        </p>
      )}
      {controls.isError && <p className="small text-critical">{controls.error.message}</p>}
      <RequiresPermission permission="billing.manage" action="change spend limits">
        <form className="form-grid two-col-form" onSubmit={onSubmit} aria-label="Spend limits" noValidate>
          <Field label="This app's spend cap per period (USD)" hint="Empty: no cap" error={localErrors.monthlySpendCapMinor ?? fieldError(save.error, "monthlySpendCapMinor")}>
            <input inputMode="decimal" value={cap} onChange={(event) => setCap(event.target.value)} />
          </Field>
          <Field
            label="Team spend cap per month (USD)"
            hint="All the team's apps; empty: no cap"
            error={localErrors.teamMonthlySpendCapMinor ?? fieldError(save.error, "teamMonthlySpendCapMinor")}
          >
            <input inputMode="decimal" value={teamCap} onChange={(event) => setTeamCap(event.target.value)} />
          </Field>
          <Field
            label="Team auto-recharge ceiling per month (USD)"
            hint="Empty: no ceiling"
            error={localErrors.autoRechargeMonthlyCeilingMinor ?? fieldError(save.error, "autoRechargeMonthlyCeilingMinor")}
          >
            <input inputMode="decimal" value={ceiling} onChange={(event) => setCeiling(event.target.value)} />
          </Field>
          <FormError error={save.error} shownFields={["monthlySpendCapMinor", "teamMonthlySpendCapMinor", "autoRechargeMonthlyCeilingMinor"]} />
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
