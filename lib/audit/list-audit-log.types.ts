import { z } from "zod";
import { text } from "@/lib/validation/text";
import type { AuditChange } from "./audit-diff";

const optionalText = (max: number) => text().trim().min(1).max(max).optional();
/** A day (2026-12-01) or an instant (ISO 8601). */
const dateBound = text()
  .trim()
  .max(40)
  .refine((value) => !Number.isNaN(Date.parse(value)), "Enter a date like 2026-12-01")
  .optional();

export const listAuditLogQuerySchema = z.object({
  /** Part of the actor's email ("system" for changes made by the platform itself). */
  actor: optionalText(254),
  /** An exact action ("app.suspend") or a family ("app." matches every app action). */
  action: optionalText(80),
  targetType: optionalText(50),
  targetId: optionalText(200),
  /** Everything about one app: its own entries and those of its keys and override. */
  appId: optionalText(200),
  from: dateBound,
  /** Inclusive: a bare day means up to the end of that day (UTC). */
  to: dateBound,
  cursor: optionalText(200),
});
export type ListAuditLogQuery = z.infer<typeof listAuditLogQuerySchema>;

export interface AuditEntryView {
  id: string;
  actorId: string | null;
  actorEmail: string | null;
  action: string;
  targetType: string;
  targetId: string;
  /** What the target is called now ("app Chat", "plan Pro", a user's email); null when it no longer resolves. */
  targetName: string | null;
  before: unknown;
  after: unknown;
  /** The changed fields, formatted (lib/audit/audit-diff.ts). */
  changes: AuditChange[];
  at: string;
}
