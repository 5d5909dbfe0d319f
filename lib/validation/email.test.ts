import { describe, expect, it } from "vitest";
import { z } from "zod";
import { emailAddress, isEmailAddress, normalizeEmail } from "./email";

const schema = z.object({ email: emailAddress() });

describe("email addresses", () => {
  it("accepts internationalised addresses: a UTF-8 local part and a domain in any script", () => {
    for (const address of ["josé@example.com", "anna@bücher.de", "用户@例子.广告", "Ærøskøbing@post.dk", "plain.name+tag@example.co.uk"]) {
      expect(schema.safeParse({ email: address }).success, address).toBe(true);
    }
  });

  it("stores one form per mailbox: the local part lower-cased, the domain in ASCII, however it was typed", () => {
    expect(normalizeEmail("  Anna@Bücher.DE ")).toBe("anna@xn--bcher-kva.de");
    // Chromium's email input submits the domain already in punycode: the same account.
    expect(normalizeEmail("anna@xn--bcher-kva.de")).toBe("anna@xn--bcher-kva.de");
    expect(normalizeEmail("JOSÉ@example.com")).toBe("josé@example.com");
    // A precomposed and a decomposed é are the same letter to the person typing it.
    expect(normalizeEmail("jose\u0301@example.com")).toBe(normalizeEmail("jos\u00e9@example.com"));
    expect(schema.parse({ email: "用户@例子.广告" }).email).toBe("用户@xn--fsqu00a.xn--4rr70v");
  });

  it("refuses what no mail can reach, with one message", () => {
    for (const address of ["x", "@example.com", "name@", "name@localhost", "two words@example.com", "a..b@example.com", "name@exa mple.com", "name@example.com/path", "name@1.2.3.4", `${"a".repeat(65)}@example.com`]) {
      const parsed = schema.safeParse({ email: address });
      expect(parsed.success, address).toBe(false);
      expect(parsed.error?.issues[0]?.message).toBe("Enter a valid email address");
    }
    expect(isEmailAddress(`${"é".repeat(33)}@example.com`)).toBe(false);
  });
});
