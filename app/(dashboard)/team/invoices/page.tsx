import { TeamInvoices } from "@/components/billing/invoices";

export const metadata = { title: "Invoices" };

export default function InvoicesPage() {
  return <TeamInvoices />;
}
