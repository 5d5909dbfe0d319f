import { z } from "zod";
import { text } from "@/lib/validation/text";

export const listAuditLogQuerySchema = z.object({
  targetType: text().trim().min(1).max(50).optional(),
  targetId: text().trim().min(1).max(200).optional(),
  cursor: text().trim().min(1).max(200).optional(),
});
export type ListAuditLogQuery = z.infer<typeof listAuditLogQuerySchema>;

export interface AuditEntryView {
  id: string;
  actorId: string | null;
  actorEmail: string | null;
  action: string;
  targetType: string;
  targetId: string;
  before: unknown;
  after: unknown;
  at: string;
}
