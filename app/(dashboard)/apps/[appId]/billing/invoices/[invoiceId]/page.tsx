import { InvoiceDetail } from "@/components/billing/invoices";

export const metadata = { title: "Invoice" };

export default async function InvoicePage({ params }: { params: Promise<{ appId: string; invoiceId: string }> }) {
  const { appId, invoiceId } = await params;
  return <InvoiceDetail appId={appId} invoiceId={invoiceId} />;
}
