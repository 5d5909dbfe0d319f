import { AdminSearch } from "@/components/admin/admin-search";

export const metadata = { title: "Tenants & apps" };

export default function AdminHomePage() {
  return <AdminSearch />;
}
