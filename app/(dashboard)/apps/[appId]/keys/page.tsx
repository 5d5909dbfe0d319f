import { KeysPanel } from "@/components/apps/keys-panel";

export const metadata = { title: "Keys" };

export default async function KeysPage({ params }: { params: Promise<{ appId: string }> }) {
  const { appId } = await params;
  return <KeysPanel appId={appId} />;
}
