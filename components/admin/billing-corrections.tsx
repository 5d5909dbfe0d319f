"use client";
// An admin's credits, adjustments and card refunds for one app, each with the reason its team reads in the
// ledger. Every submission carries its own Idempotency-Key, kept until it succeeds, so a retried click
// (or a lost answer) moves the money once.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { apiFetch, fieldError } from "@/components/api";
import { formatDate, formatDateTime, formatMoney, parseMoneyToMinor } from "@/components/format";
import { ErrorState } from "@/components/ui/error-state";
import { Field, FormError } from "@/components/ui/field";
import { SkeletonBlock } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import type { CorrectionView, RefundableChargeView } from "@/lib/billing/billing-corrections.types";

type Kind = CorrectionView["kind"];

interface CorrectionsData {
  corrections: CorrectionView[];
  refundableCharges: RefundableChargeView[];
  creditableInvoices: { id: string; number: string; totalMinor: number }[];
}

const kindLabel: Record<Kind, string> = { credit: "Credit", adjustment: "Adjustment", refund: "Refund to card" };
const FIELDS = ["kind", "amountMinor", "reason", "invoiceId", "paymentAttemptId"] as const;

export function BillingCorrections({ appId }: { appId: string }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const url = `/api/admin/apps/${encodeURIComponent(appId)}/corrections`;
  const data = useQuery({ queryKey: ["admin", "app", appId, "corrections"], queryFn: () => apiFetch<CorrectionsData>(url) });
  const [kind, setKind] = useState<Kind>("credit");
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [invoiceId, setInvoiceId] = useState("");
  const [paymentAttemptId, setPaymentAttemptId] = useState("");
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());
  const submit = useMutation({
    mutationFn: () => {
      const minor = parseMoneyToMinor(amount.replace(/^-/, "")) ?? Number.NaN;
      const amountMinor = kind === "adjustment" && amount.trim().startsWith("-") ? -minor : minor;
      const body =
        kind === "credit"
          ? { kind, amountMinor, reason, ...(invoiceId ? { invoiceId } : {}) }
          : kind === "refund"
            ? { kind, amountMinor, reason, paymentAttemptId }
            : { kind, amountMinor, reason };
      return apiFetch<{ correction: CorrectionView }>(url, { method: "POST", body, headers: { "idempotency-key": idempotencyKey } });
    },
    onSuccess: ({ correction }) => {
      setIdempotencyKey(crypto.randomUUID());
      setAmount("");
      setReason("");
      void queryClient.invalidateQueries({ queryKey: ["admin", "app", appId] });
      toast.show(
        correction.status === "failed"
          ? `The refund failed: ${correction.failureReason ?? "the provider refused it"}`
          : `${kindLabel[correction.kind]} of ${formatMoney(Math.abs(correction.amountMinor))} recorded${correction.creditNoteNumber ? ` as credit note ${correction.creditNoteNumber}` : ""}`,
        correction.status === "failed" ? "error" : undefined,
      );
    },
  });
  function onSubmit(event: FormEvent) {
    event.preventDefault();
    submit.mutate();
  }
  if (data.isPending) return <SkeletonBlock rows={3} label="Loading corrections" />;
  if (data.isError) return <ErrorState error={data.error} onRetry={() => void data.refetch()} />;
  return (
    <section className="card stack" aria-labelledby="corrections-heading">
      <h3 id="corrections-heading">Credits, adjustments and refunds</h3>
      <p className="muted small">
        Each moves the team&apos;s balance (one wallet for all its apps); a credit or adjustment is listed under this app on the team&apos;s invoice. The team sees each one
        in its ledger with the reason, and on its next invoice (a credit against an issued invoice is issued at once as a credit note). A refund returns money of a
        card charge of the team to the card through the payment provider and takes it from the balance.
      </p>
      <form className="form-grid two-col-form" onSubmit={onSubmit} aria-label="Correct the balance" noValidate>
        <Field label="Kind" error={fieldError(submit.error, "kind")}>
          <select value={kind} onChange={(event) => setKind(event.target.value as Kind)}>
            <option value="credit">Credit</option>
            <option value="adjustment">Adjustment</option>
            <option value="refund">Refund to card</option>
          </select>
        </Field>
        <Field label="Amount (USD)" hint={kind === "adjustment" ? "Negative takes from the balance" : undefined} error={fieldError(submit.error, "amountMinor")}>
          <input inputMode="decimal" value={amount} onChange={(event) => setAmount(event.target.value)} />
        </Field>
        {kind === "credit" && (
          <Field label="Against invoice" error={fieldError(submit.error, "invoiceId")}>
            <select value={invoiceId} onChange={(event) => setInvoiceId(event.target.value)}>
              <option value="">None: on the next invoice</option>
              {data.data.creditableInvoices.map((invoice) => (
                <option key={invoice.id} value={invoice.id}>
                  {invoice.number} ({formatMoney(invoice.totalMinor)}): credit note
                </option>
              ))}
            </select>
          </Field>
        )}
        {kind === "refund" && (
          <Field label="Card charge" error={fieldError(submit.error, "paymentAttemptId")}>
            <select value={paymentAttemptId} onChange={(event) => setPaymentAttemptId(event.target.value)}>
              <option value="">Choose a charge</option>
              {data.data.refundableCharges.map((charge) => (
                <option key={charge.paymentAttemptId} value={charge.paymentAttemptId}>
                  {formatDate(charge.createdAt)} {charge.kind.replace("_", " ")} {formatMoney(charge.amountMinor)}
                  {charge.refundedMinor > 0 ? ` (${formatMoney(charge.refundedMinor)} refunded)` : ""}
                </option>
              ))}
            </select>
          </Field>
        )}
        <Field label="Reason (the customer sees it)" error={fieldError(submit.error, "reason")}>
          <input value={reason} onChange={(event) => setReason(event.target.value)} maxLength={500} />
        </Field>
        <FormError error={submit.error} shownFields={FIELDS} />
        <div className="actions">
          <button type="submit" disabled={submit.isPending}>
            {submit.isPending ? "Recording…" : `Record ${kindLabel[kind].toLowerCase()}`}
          </button>
        </div>
      </form>
      {data.data.corrections.length > 0 && (
        <div className="table-wrap">
          <table className="table responsive" aria-label="Corrections">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Kind</th>
                <th scope="col">Reason</th>
                <th scope="col">By</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Amount
                </th>
              </tr>
            </thead>
            <tbody>
              {data.data.corrections.map((correction) => (
                <tr key={correction.id}>
                  <td data-label="When">{formatDateTime(correction.createdAt)}</td>
                  <td data-label="Kind">
                    {kindLabel[correction.kind]}
                    {correction.creditNoteNumber ? ` · ${correction.creditNoteNumber}` : ""}
                  </td>
                  <td data-label="Reason">{correction.reason}</td>
                  <td data-label="By">{correction.actorEmail ?? "—"}</td>
                  <td data-label="Status">{correction.status === "failed" ? `Failed: ${correction.failureReason ?? ""}` : correction.status}</td>
                  <td data-label="Amount" className="num">
                    {formatMoney(correction.amountMinor)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
