import { describe, expect, it } from "vitest";
import { DEFAULT_AFTER_SIGN_IN, safeCallbackPath, safeRedirectUrl, signInPathFor } from "./safe-callback";

describe("safeCallbackPath (the sign-in form's callbackUrl)", () => {
  it("keeps same-origin relative paths with their query and hash", () => {
    expect(safeCallbackPath("/apps/app_1/keys")).toBe("/apps/app_1/keys");
    expect(safeCallbackPath("/apps?tab=usage#chart")).toBe("/apps?tab=usage#chart");
    expect(safeCallbackPath("/%2F%2Fevil.example")).toBe("/%2F%2Fevil.example");
  });

  it("sends every way off the site to the default instead", () => {
    const attempts = [
      "https://evil.example/phish",
      "//evil.example",
      "/\\evil.example",
      "\\\\evil.example",
      "/\t/evil.example",
      "/\n/evil.example",
      " //evil.example",
      "javascript:alert(1)",
      "evil.example",
      "%2F%2Fevil.example",
      decodeURIComponent("%2F%2Fevil.example"),
      decodeURIComponent("%2F%5Cevil.example"),
      "https:evil.example",
      "",
      null,
      undefined,
    ];
    for (const attempt of attempts) expect(safeCallbackPath(attempt), String(attempt)).toBe(DEFAULT_AFTER_SIGN_IN);
  });
});

describe("safeRedirectUrl (next-auth's redirect callback)", () => {
  const base = "http://localhost:3000";
  it("keeps relative paths and our own absolute URLs", () => {
    expect(safeRedirectUrl("/sign-in", base)).toBe("http://localhost:3000/sign-in");
    expect(safeRedirectUrl("http://localhost:3000/apps?x=1", base)).toBe("http://localhost:3000/apps?x=1");
  });
  it("turns foreign and tricky URLs into the home page", () => {
    for (const url of ["https://evil.example/phish", "//evil.example", "/\\evil.example", "http://localhost:3001/apps", "http://localhost:3000.evil.example/"]) {
      expect(safeRedirectUrl(url, base), url).toBe("http://localhost:3000/");
    }
  });
});

describe("signInPathFor (where a signed-out visitor of a page is sent)", () => {
  it("comes back to the page asked for, query included", () => {
    expect(signInPathFor("/apps/app_1/billing")).toBe("/sign-in?callbackUrl=%2Fapps%2Fapp_1%2Fbilling");
    expect(signInPathFor("/apps/app_1/billing/invoices?page=2")).toBe(`/sign-in?callbackUrl=${encodeURIComponent("/apps/app_1/billing/invoices?page=2")}`);
  });

  it("adds nothing for the default page, an unknown path or one that leaves the site", () => {
    for (const path of [null, undefined, "/", "/apps", "//evil.example", "/\\evil.example", "https://evil.example/x"]) expect(signInPathFor(path)).toBe("/sign-in");
  });
});
