import { PlanDefaults } from "@tollgate/relay/protocol";
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { toPlanView } from "./effective-limits";
import type { CreatePlanBody, PlanView } from "./plan.types";
import { validatePlan } from "./validate-plan";

export async function createPlan(db: Db, input: { actor: Actor; plan: CreatePlanBody }): Promise<PlanView> {
  const { freeEgressBytes, ...fields } = input.plan;
  validatePlan({
    kind: fields.kind,
    overagesAllowed: fields.overagesAllowed ?? false,
    tokenBucketRefillPerSecond: fields.tokenBucketRefillPerSecond ?? PlanDefaults.tokenBucketRefillPerSecond,
    tokenBucketBurst: fields.tokenBucketBurst ?? PlanDefaults.tokenBucketBurst,
    controlFrameRefillPerSecond: fields.controlFrameRefillPerSecond ?? PlanDefaults.controlFrameRefillPerSecond,
    controlFrameBurst: fields.controlFrameBurst ?? PlanDefaults.controlFrameBurst,
    historySize: fields.historySize ?? PlanDefaults.historySize,
    historyTtlSeconds: fields.historyTtlSeconds ?? PlanDefaults.historyTtlSeconds,
  });
  return db.$transaction(async (tx) => {
    if (await tx.plan.findUnique({ where: { slug: fields.slug }, select: { id: true } })) {
      throw new DomainError("conflict", `A plan with slug "${fields.slug}" already exists`, { field: "slug" });
    }
    const plan = await tx.plan.create({
      // A new plan is hidden from customers until an admin offers it.
      data: { isPublic: false, ...fields, ...(freeEgressBytes === undefined ? {} : { freeEgressBytes: BigInt(freeEgressBytes) }) },
    });
    const view = toPlanView(plan);
    await writeAuditLog(tx, { actor: input.actor, action: "plan.create", targetType: "plan", targetId: plan.id, after: view });
    return view;
  });
}
