// The operator's details (one OperatorSettings row, platform admins) and a team's billing details (owners):
// read when an invoice is issued and copied into it, so a later edit never changes an issued invoice.
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db, Prisma } from "@/lib/db";
import type { BillingDetailsBody, OperatorSettingsBody, OperatorSettingsView, PartyDetails } from "./invoice-parties.types";

const DEFAULT_PAYMENT_TERMS_DAYS = 14;

export async function getOperatorSettings(db: Db | Prisma.TransactionClient): Promise<OperatorSettingsView> {
  const row = await db.operatorSettings.findUnique({ where: { id: 1 } });
  return {
    name: row?.name ?? "",
    address: row?.address ?? "",
    taxId: row?.taxId ?? "",
    email: row?.email ?? "",
    paymentTermsDays: row?.paymentTermsDays ?? DEFAULT_PAYMENT_TERMS_DAYS,
  };
}

export async function updateOperatorSettings(db: Db, input: { actor: Actor; settings: OperatorSettingsBody }): Promise<OperatorSettingsView> {
  return db.$transaction(async (tx) => {
    const before = await getOperatorSettings(tx);
    await tx.operatorSettings.upsert({ where: { id: 1 }, create: { id: 1, ...input.settings }, update: input.settings });
    await writeAuditLog(tx, { actor: input.actor, action: "billing.operator_details", targetType: "operator_settings", targetId: "operator", before, after: input.settings });
    return getOperatorSettings(tx);
  });
}

/** The team's details as set, or (where not set) its name and the first owner's email. */
export async function getBillingDetails(db: Db | Prisma.TransactionClient, tenantId: string): Promise<PartyDetails> {
  const tenant = await db.tenant.findUniqueOrThrow({
    where: { id: tenantId },
    select: {
      name: true,
      billingName: true,
      billingAddress: true,
      billingTaxId: true,
      billingEmail: true,
      memberships: { where: { role: "owner" }, orderBy: { createdAt: "asc" }, take: 1, select: { user: { select: { email: true } } } },
    },
  });
  return {
    name: tenant.billingName || tenant.name,
    address: tenant.billingAddress ?? "",
    taxId: tenant.billingTaxId ?? "",
    email: tenant.billingEmail || (tenant.memberships[0]?.user.email ?? ""),
  };
}

export async function updateBillingDetails(db: Db, input: { actor: Actor; tenantId: string; details: BillingDetailsBody }): Promise<PartyDetails> {
  return db.$transaction(async (tx) => {
    const before = await getBillingDetails(tx, input.tenantId);
    const { name, address, taxId, email } = input.details;
    await tx.tenant.update({
      where: { id: input.tenantId },
      data: { billingName: name || null, billingAddress: address || null, billingTaxId: taxId || null, billingEmail: email || null },
    });
    await writeAuditLog(tx, { actor: input.actor, action: "tenant.billing_details", targetType: "tenant", targetId: input.tenantId, before, after: input.details });
    return getBillingDetails(tx, input.tenantId);
  });
}
