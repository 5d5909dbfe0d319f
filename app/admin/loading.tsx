import { PageLoading } from "@/components/page-loading";

export default function AdminLoading() {
  return <PageLoading />;
}
