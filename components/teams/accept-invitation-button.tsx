"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { apiFetch } from "@/components/api";
import { FormError } from "@/components/ui/field";

export function AcceptInvitationButton({ token, signedInAs }: { token: string; signedInAs: string }) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const accept = useMutation({
    mutationFn: () => apiFetch<{ tenantId: string }>("/api/invitations/accept", { method: "POST", body: { token } }),
    onSuccess: () => {
      void queryClient.invalidateQueries();
      router.push("/apps");
    },
  });
  return (
    <div className="stack">
      <p className="muted small">Signed in as {signedInAs}.</p>
      <FormError error={accept.error} shownFields={[]} />
      <button type="button" className="primary" onClick={() => accept.mutate()} disabled={accept.isPending}>
        {accept.isPending ? "Joining…" : "Accept invitation"}
      </button>
    </div>
  );
}
