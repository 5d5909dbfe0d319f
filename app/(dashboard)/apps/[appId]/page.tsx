import { AppOverview } from "@/components/apps/app-overview";

export default async function AppOverviewPage({ params }: { params: Promise<{ appId: string }> }) {
  const { appId } = await params;
  return <AppOverview appId={appId} />;
}
