"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { apiFetch } from "@/components/api";
import { useApps } from "@/components/apps/queries";
import { useToast } from "@/components/ui/toast";

/** Shown only to people in more than one team: which team's apps and members the dashboard shows. */
export function TenantSwitcher() {
  const apps = useApps();
  const queryClient = useQueryClient();
  const toast = useToast();
  const switchTo = useMutation({
    mutationFn: (tenantId: string) => apiFetch("/api/account/active-tenant", { method: "PUT", body: { tenantId } }),
    onSuccess: () => void queryClient.invalidateQueries(),
    onError: (error) => toast.show(error.message, "error"),
  });
  const tenants = apps.data?.tenants ?? [];
  if (tenants.length < 2) return null;
  return (
    <label className="tenant-switcher small">
      <span className="visually-hidden">Team</span>
      <select
        aria-label="Switch team"
        value={apps.data?.activeTenantId ?? ""}
        disabled={switchTo.isPending}
        onChange={(event) => switchTo.mutate(event.target.value)}
      >
        {tenants.map((tenant) => (
          <option key={tenant.id} value={tenant.id}>
            {tenant.name} ({tenant.role})
          </option>
        ))}
      </select>
    </label>
  );
}
