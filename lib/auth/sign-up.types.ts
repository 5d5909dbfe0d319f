import { z } from "zod";
import { emailAddress } from "@/lib/validation/email";
import { text } from "@/lib/validation/text";
import { MIN_PASSWORD_LENGTH } from "./password";

export const signUpSchema = z.object({
  email: emailAddress(),
  password: text()
    .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters`)
    .max(200, "Use at most 200 characters"),
  name: text().trim().max(100).optional(),
  tenantName: text().trim().max(100).optional(),
});
export type SignUpBody = z.infer<typeof signUpSchema>;
