import type { Db } from "@/lib/db";
import { toPlanView } from "./effective-limits";
import type { PlanView } from "./plan.types";

export async function listPlans(db: Db, options: { includeHidden: boolean }): Promise<PlanView[]> {
  const plans = await db.plan.findMany({
    where: options.includeHidden ? {} : { isPublic: true },
    orderBy: [{ sortOrder: "asc" }, { createdAt: "asc" }],
  });
  return plans.map(toPlanView);
}
