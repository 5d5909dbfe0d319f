import { z } from "zod";
import { MIN_PASSWORD_LENGTH } from "./password";

export const signUpSchema = z.object({
  email: z.string().trim().email("Enter a valid email address"),
  password: z
    .string()
    .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters`)
    .max(200, "Use at most 200 characters"),
  name: z.string().trim().max(100).optional(),
  tenantName: z.string().trim().max(100).optional(),
});
export type SignUpBody = z.infer<typeof signUpSchema>;
