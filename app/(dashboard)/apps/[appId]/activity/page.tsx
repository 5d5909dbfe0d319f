import { ConnectionInspector } from "@/components/apps/connection-inspector";
import { RequestLog } from "@/components/apps/request-log";

export const metadata = { title: "Activity" };

export default async function ActivityPage({ params }: { params: Promise<{ appId: string }> }) {
  const { appId } = await params;
  return (
    <div className="stack">
      <ConnectionInspector appId={appId} />
      <RequestLog appId={appId} />
    </div>
  );
}
