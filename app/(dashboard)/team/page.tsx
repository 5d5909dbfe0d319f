import { TeamPanel } from "@/components/teams/team-panel";
import { requirePageUser } from "@/lib/http/session";

export const metadata = { title: "Team" };

export default async function TeamPage() {
  const user = await requirePageUser();
  return <TeamPanel currentUserId={user.id} />;
}
