export function Skeleton({ height = "1rem", width = "100%" }: { height?: string; width?: string }) {
  return <span className="skeleton" style={{ height, width }} aria-hidden="true" />;
}

/** A block of placeholder rows with a label for screen readers, shown while data loads. */
export function SkeletonBlock({ rows = 3, label = "Loading" }: { rows?: number; label?: string }) {
  return (
    <div className="skeleton-block" role="status" aria-label={label}>
      {Array.from({ length: rows }, (_, index) => (
        <Skeleton key={index} height="1.1rem" width={`${90 - index * 12}%`} />
      ))}
    </div>
  );
}
