import { AdminAppDetail } from "@/components/admin/admin-app";
import { readRelayPropagation } from "@/components/relay-propagation";

// The relay refresh interval is read from the running server's environment, not the build's.
export const dynamic = "force-dynamic";
export const metadata = { title: "App" };

export default async function AdminAppPage({ params }: { params: Promise<{ appId: string }> }) {
  const { appId } = await params;
  return <AdminAppDetail appId={appId} propagation={readRelayPropagation()} />;
}
