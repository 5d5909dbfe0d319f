// Before/after of an audit entry as a field-by-field table, so an admin sees exactly what changed.

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  if (value === undefined) return "—";
  if (value === null) return "null";
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function AuditDiff({ before, after }: { before: unknown; after: unknown }) {
  if (!isRecord(before) && !isRecord(after)) {
    return (
      <div className="small">
        <div>before: {show(before)}</div>
        <div>after: {show(after)}</div>
      </div>
    );
  }
  const left = isRecord(before) ? before : {};
  const right = isRecord(after) ? after : {};
  const fields = [...new Set([...Object.keys(left), ...Object.keys(right)])];
  const changed = fields.filter((field) => JSON.stringify(left[field]) !== JSON.stringify(right[field]));
  const rows = changed.length > 0 ? changed : fields;
  if (rows.length === 0) return <span className="muted small">no fields</span>;
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
        {rows.map((field) => (
          <tr key={field}>
            <th scope="row">{field}</th>
            <td className="diff-before">{show(left[field])}</td>
            <td className="diff-after">{show(right[field])}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
