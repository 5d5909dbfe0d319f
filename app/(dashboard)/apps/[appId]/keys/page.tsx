import { KeysPanel } from "@/components/apps/keys-panel";
import { readRelayPropagation } from "@/components/relay-propagation";

// The relay refresh interval is read from the running server's environment, not the build's.
export const dynamic = "force-dynamic";
export const metadata = { title: "Keys" };

export default async function KeysPage({ params }: { params: Promise<{ appId: string }> }) {
  const { appId } = await params;
  return <KeysPanel appId={appId} propagation={readRelayPropagation()} />;
}
