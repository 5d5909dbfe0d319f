import Link from "next/link";
import { listAppsForUser } from "@/lib/apps/list-apps-for-user";
import { getDb } from "@/lib/db";
import { requirePageUser } from "@/lib/http/session";

export const metadata = { title: "Apps" };

export default async function AppsPage() {
  const user = await requirePageUser();
  const apps = await listAppsForUser(getDb(), user.id);
  return (
    <section>
      <h1>Apps</h1>
      {apps.length === 0 ? (
        <p className="empty">No apps yet.</p>
      ) : (
        <ul className="list">
          {apps.map((app) => (
            <li key={app.id}>
              <Link href={`/apps/${app.id}`}>{app.name}</Link> <span className="muted">{app.plan.name}</span>{" "}
              <span className={`badge ${app.status}`}>{app.status}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
