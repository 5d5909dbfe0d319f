import { InvoicesList } from "@/components/billing/invoices";

export const metadata = { title: "Invoices" };

export default async function InvoicesPage({ params }: { params: Promise<{ appId: string }> }) {
  const { appId } = await params;
  return <InvoicesList appId={appId} />;
}
