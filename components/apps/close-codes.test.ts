import { CloseCode, PeerCloseCode } from "@tollgate/relay/protocol";
import { describe, expect, it } from "vitest";
import { closeCodeLabel } from "./close-codes";

describe("closeCodeLabel", () => {
  it("names the closes a client or the network causes", () => {
    expect(closeCodeLabel(PeerCloseCode.NormalClosure)).toBe("Closed by client (1000)");
    expect(closeCodeLabel("1006")).toBe("Connection lost (1006)");
  });

  it("does not call a revoked key an invalid token", () => {
    expect(closeCodeLabel(CloseCode.InvalidToken)).toMatch(/revoked key/);
    expect(closeCodeLabel(CloseCode.InvalidToken)).not.toMatch(/^Invalid token/);
  });

  it("names every relay close code and shows unknown ones as plain codes", () => {
    for (const code of Object.values(CloseCode)) expect(closeCodeLabel(code)).not.toMatch(/^Close code/);
    expect(closeCodeLabel(4999)).toBe("Close code 4999");
  });
});
