import { z } from "zod";
import { emailAddress } from "@/lib/validation/email";
import { text } from "@/lib/validation/text";
import type { Permission, TenantRole } from "@/lib/tenancy/permissions";

const roleSchema = z.enum(["owner", "member"], { message: "Choose owner or member" });

export const createInvitationSchema = z
  .object({
    /** Without an email the invitation is a link anyone signed in may accept once. */
    email: emailAddress().optional(),
    role: roleSchema.default("member"),
  })
  .strict();
export type CreateInvitationBody = z.infer<typeof createInvitationSchema>;

export const acceptInvitationSchema = z.object({ token: text().trim().min(10, "This invitation link is incomplete").max(200) }).strict();

export const changeRoleSchema = z.object({ role: roleSchema }).strict();

export const transferOwnershipSchema = z.object({ userId: text().trim().min(1).max(100) }).strict();

export interface MemberView {
  userId: string;
  email: string;
  name: string | null;
  role: TenantRole;
  joinedAt: string;
}

export interface InvitationView {
  id: string;
  email: string | null;
  role: TenantRole;
  createdAt: string;
  expiresAt: string;
  lastSentAt: string;
  expired: boolean;
  invitedByEmail: string | null;
}

export interface TeamView {
  tenant: { id: string; name: string };
  role: TenantRole;
  permissions: Permission[];
  members: MemberView[];
  invitations: InvitationView[];
  /** False when SMTP_URL is not configured: invitations are shared as links only. */
  emailEnabled: boolean;
}

/** An invitation just created or re-sent: the link is in this response only. */
export interface IssuedInvitation {
  invitation: InvitationView;
  link: string;
  emailed: boolean;
}
