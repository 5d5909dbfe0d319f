import { BillingPanel } from "@/components/apps/billing-panel";

export const metadata = { title: "Plan & billing" };

export default async function BillingPage({ params }: { params: Promise<{ appId: string }> }) {
  const { appId } = await params;
  return <BillingPanel appId={appId} />;
}
