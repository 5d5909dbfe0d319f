// Table cells an admin sees for an app wherever apps are listed (search, a tenant's page): the app's
// name linking to its admin page with its id beneath, and its status (a deleted app says when and by whom).
import Link from "next/link";
import type { AppView } from "@/lib/apps/app.types";
import { formatDateTime } from "@/components/format";

export function AppNameCell({ app }: { app: Pick<AppView, "id" | "name"> }) {
  return (
    <td data-label="App">
      <Link href={`/admin/apps/${app.id}`}>{app.name}</Link>
      <div className="muted small">
        <code>{app.id}</code>
      </div>
    </td>
  );
}

export function AppStatusCell({ app }: { app: Pick<AppView, "status" | "deletedAt" | "deletedByEmail"> }) {
  return (
    <td data-label="Status">
      {app.deletedAt ? (
        <span className="badge suspended" title={`Deleted ${formatDateTime(app.deletedAt)} by ${app.deletedByEmail ?? "unknown"}`}>
          deleted
        </span>
      ) : (
        <span className={`badge ${app.status}`}>{app.status}</span>
      )}
    </td>
  );
}
