import { SkeletonBlock } from "@/components/ui/skeleton";

// Shown inside a frame (dashboard or admin) while a page's server work runs, so navigation answers at once.
export function PageLoading() {
  return (
    <div className="stack">
      <SkeletonBlock rows={2} label="Loading page" />
      <div className="card">
        <SkeletonBlock rows={4} label="Loading content" />
      </div>
    </div>
  );
}
