import { z } from "zod";
import { describe, expect, it } from "vitest";
import { signUpSchema } from "@/lib/auth/sign-up.types";
import { topUpSchema } from "@/lib/billing/billing.types";
import "./zod-messages";

function messageOf(schema: z.ZodType, input: unknown): string | undefined {
  const result = schema.safeParse(input);
  return result.success ? undefined : result.error.issues[0]?.message;
}

describe("human zod messages", () => {
  it("speaks in words a person uses, without field keys or type names", () => {
    expect(messageOf(z.object({ email: z.email() }), { email: "nope" })).toBe("Enter a valid email address");
    expect(messageOf(z.object({ name: z.string() }), {})).toBe("Fill in this field");
    expect(messageOf(z.object({ name: z.string().min(1) }), { name: "" })).toBe("Fill in this field");
    expect(messageOf(z.string().min(8), "short")).toBe("Use at least 8 characters");
    expect(messageOf(z.string().max(1), "ab")).toBe("Use at most 1 character");
    expect(messageOf(z.number().int(), 1.5)).toBe("Enter a whole number");
    expect(messageOf(z.number(), "12")).toBe("Enter a number");
    expect(messageOf(z.number().max(100), 101)).toBe("Enter 100 or less");
    expect(messageOf(z.enum(["a", "b"]), "c")).toBe("Choose one of the listed options");
    expect(messageOf(z.object({}).strict(), { extra: 1 })).toBe("Tollgate does not know the field “extra”");
  });

  it("keeps a schema's own message", () => {
    expect(messageOf(signUpSchema, { email: "x", password: "long-enough-password" })).toBe("Enter a valid email address");
  });

  it("tells a 4-digit card number it is not a card number", () => {
    expect(messageOf(topUpSchema, { amountMinor: 1_000, cardNumber: "4242" })).toBe("That card number is too short: a card number has 12 to 19 digits");
  });
});
