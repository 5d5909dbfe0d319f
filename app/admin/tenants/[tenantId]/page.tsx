import { AdminTenantPage } from "@/components/admin/admin-tenant";
import { readRelayPropagation } from "@/components/relay-propagation";

export const dynamic = "force-dynamic";
export const metadata = { title: "Tenant" };

export default async function AdminTenantRoute({ params }: { params: Promise<{ tenantId: string }> }) {
  const { tenantId } = await params;
  return <AdminTenantPage tenantId={tenantId} propagation={readRelayPropagation()} />;
}
