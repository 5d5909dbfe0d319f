import { describe, expect, it } from "vitest";
import { inviteButtonLabel } from "./invite-button-label";

describe("the invite button", () => {
  it("promises a mail only when one will be sent: an address entered and SMTP configured", () => {
    expect(inviteButtonLabel({ email: "ann@example.com", emailEnabled: true, pending: false })).toBe("Send invitation");
    expect(inviteButtonLabel({ email: "ann@example.com", emailEnabled: false, pending: false })).toBe("Create invitation link");
    expect(inviteButtonLabel({ email: "  ", emailEnabled: true, pending: false })).toBe("Create invitation link");
    expect(inviteButtonLabel({ email: "ann@example.com", emailEnabled: true, pending: true })).toBe("Inviting…");
  });
});
