import { AppsList } from "@/components/apps/apps-list";

export const metadata = { title: "Apps" };

export default function AppsPage() {
  return <AppsList />;
}
