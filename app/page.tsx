import { redirect } from "next/navigation";
import { getSessionUser } from "@/lib/http/session";

// Where a sign-in without a callback lands: platform admins on the admin home, customers on their apps.
export default async function HomePage() {
  const user = await getSessionUser();
  redirect(!user ? "/sign-in" : user.isPlatformAdmin ? "/admin" : "/apps");
}
