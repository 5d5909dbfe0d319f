import { OperatorSettingsForm } from "@/components/admin/operator-settings";

export const metadata = { title: "Invoicing" };

export default function AdminSettingsPage() {
  return <OperatorSettingsForm />;
}
