"use client";
// What the signed-in user's role may do with the app on screen, from the app layout (which checks the
// membership on the server). Controls the role may not use are shown disabled with a note saying who
// can, rather than enabled and answered 403 after submitting; the routes refuse them either way.
import { createContext, useContext, useId, type ReactNode } from "react";
import type { Permission } from "@/components/api-types";

const AppPermissionsContext = createContext<readonly Permission[]>([]);

export function AppPermissionsProvider({ permissions, children }: { permissions: Permission[]; children: ReactNode }) {
  return <AppPermissionsContext.Provider value={permissions}>{children}</AppPermissionsContext.Provider>;
}

export function useAppPermission(permission: Permission): boolean {
  return useContext(AppPermissionsContext).includes(permission);
}

/** Its controls as they are, or disabled under "Only team owners can {action}." when the role lacks `permission`. */
export function RequiresPermission({ permission, action, children }: { permission: Permission; action: string; children: ReactNode }) {
  const allowed = useAppPermission(permission);
  const noteId = useId();
  if (allowed) return children;
  return (
    <fieldset disabled className="requires-permission" aria-describedby={noteId}>
      <p id={noteId} className="muted small" data-testid="owner-only-note">
        Only team owners can {action}.
      </p>
      {children}
    </fieldset>
  );
}
