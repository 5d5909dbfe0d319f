import type { Db } from "@/lib/db";
import { toPlanView } from "./effective-limits";
import type { PlanView } from "./plan.types";

export async function listPlans(db: Db, options: { includeHidden: boolean }): Promise<PlanView[]> {
  const plans = await db.plan.findMany({
    where: options.includeHidden ? {} : { isPublic: true },
    orderBy: [{ sortOrder: "asc" }, { createdAt: "asc" }],
    include: { _count: { select: { apps: true } } },
  });
  // Customers see the catalog; only admins learn how many apps each plan has.
  return plans.map((plan) => toPlanView(plan, options.includeHidden ? plan._count.apps : 0));
}
