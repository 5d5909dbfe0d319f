import type { Actor } from "@/lib/audit/write-audit-log";
import type { SessionUser } from "@/lib/auth/authenticate";

export function actorOf(user: SessionUser): Actor {
  return { id: user.id, email: user.email };
}
