import { ConnectSnippet } from "@/components/apps/connect-snippet";

export const metadata = { title: "Connect" };

export default async function ConnectPage({ params }: { params: Promise<{ appId: string }> }) {
  const { appId } = await params;
  return <ConnectSnippet appId={appId} />;
}
