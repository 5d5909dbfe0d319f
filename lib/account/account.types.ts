import { z } from "zod";
import { emailAddress } from "@/lib/validation/email";
import { text } from "@/lib/validation/text";
import { MIN_PASSWORD_LENGTH } from "@/lib/auth/password";

const newPassword = text()
  .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(200, "Use at most 200 characters");

export const updateProfileSchema = z
  .object({
    name: text().trim().max(100, "Use at most 100 characters").optional(),
    email: emailAddress().optional(),
    /** Required to change the email: the address is what a password reset goes to. */
    currentPassword: text().max(200).optional(),
  })
  .strict();
export type UpdateProfileBody = z.infer<typeof updateProfileSchema>;

export const changePasswordSchema = z.object({ currentPassword: text().min(1, "Enter your current password").max(200), newPassword }).strict();

export const requestPasswordResetSchema = z.object({ email: emailAddress() }).strict();

export const resetPasswordSchema = z.object({ token: text().trim().min(10, "This reset link is incomplete").max(200), password: newPassword }).strict();

export const setActiveTenantSchema = z.object({ tenantId: text().trim().min(1).max(100) }).strict();

export const setPlatformAdminSchema = z.object({ isPlatformAdmin: z.boolean() }).strict();

export interface AccountView {
  id: string;
  email: string;
  name: string | null;
  isPlatformAdmin: boolean;
  createdAt: string;
}
