import { z } from "zod";
import { text } from "@/lib/validation/text";

export const confirmCardSetupSchema = z
  .object({
    /** The SetupIntent Stripe.js confirmed in the browser (seti_…). */
    setupIntentId: text().max(255).regex(/^seti_\w+$/, "Not a SetupIntent id"),
  })
  .strict();
export type ConfirmCardSetupBody = z.infer<typeof confirmCardSetupSchema>;
