import { PlanCatalog } from "@/components/admin/plan-editor";
import { readRelayPropagation } from "@/components/relay-propagation";

// The relay refresh interval is read from the running server's environment, not the build's.
export const dynamic = "force-dynamic";
export const metadata = { title: "Plans" };

export default function AdminPlansPage() {
  return <PlanCatalog propagation={readRelayPropagation()} />;
}
