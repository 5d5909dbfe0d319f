// An audit entry's changed fields (computed by lib/audit/audit-diff.ts): money formatted, empty and
// unchanged fields left out; a long value breaks where it must to fit its column.
import type { AuditEntry } from "@/components/api-types";

export function AuditDiff({ changes }: { changes: AuditEntry["changes"] }) {
  if (changes.length === 0) return <span className="muted small">no field changes</span>;
  return (
    <table className="diff">
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((change) => (
          <tr key={change.field}>
            <th scope="row">{change.field}</th>
            <td className="diff-before">{change.before ?? <span className="muted">—</span>}</td>
            <td className="diff-after">{change.after ?? <span className="muted">—</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
