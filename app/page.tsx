import { redirect } from "next/navigation";
import { getSessionUser } from "@/lib/http/session";

export default async function HomePage() {
  const user = await getSessionUser();
  redirect(user ? "/apps" : "/sign-in");
}
