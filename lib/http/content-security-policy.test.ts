import { describe, expect, it } from "vitest";
import { pageContentSecurityPolicy } from "./content-security-policy";

const directive = (policy: string, name: string) => policy.split("; ").find((entry) => entry.startsWith(`${name} `));

describe("pageContentSecurityPolicy", () => {
  it("allows scripts by the nonce only, and eval only under next dev", () => {
    const production = pageContentSecurityPolicy({ nonce: "abc123", relayPublicUrl: "ws://127.0.0.1:8080", development: false });
    expect(directive(production, "script-src")).toBe("script-src 'self' 'nonce-abc123' 'strict-dynamic'");
    const development = pageContentSecurityPolicy({ nonce: "abc123", relayPublicUrl: "ws://127.0.0.1:8080", development: true });
    expect(directive(development, "script-src")).toBe("script-src 'self' 'nonce-abc123' 'strict-dynamic' 'unsafe-eval'");
  });

  it("lets WebSockets reach the relay's origin and nothing else", () => {
    const policy = (relayPublicUrl: string) => directive(pageContentSecurityPolicy({ nonce: "n", relayPublicUrl, development: false }), "connect-src");
    expect(policy("ws://127.0.0.1:8080")).toBe("connect-src 'self' ws://127.0.0.1:8080");
    expect(policy("wss://relay.example.com/some/path?x=1")).toBe("connect-src 'self' wss://relay.example.com");
    // Not a WebSocket URL (a misconfiguration): only our own origin, rather than a wildcard.
    expect(policy("https://relay.example.com")).toBe("connect-src 'self'");
    expect(policy("not a url")).toBe("connect-src 'self'");
  });

  it("lets Stripe.js, its API and its card-field frames in only when Stripe is configured", () => {
    const without = pageContentSecurityPolicy({ nonce: "n", relayPublicUrl: "ws://127.0.0.1:8080", development: false });
    expect(without).not.toContain("stripe.com");
    expect(directive(without, "frame-src")).toBeUndefined();
    const withStripe = pageContentSecurityPolicy({ nonce: "n", relayPublicUrl: "ws://127.0.0.1:8080", development: false, stripe: true });
    expect(directive(withStripe, "script-src")).toBe("script-src 'self' 'nonce-n' 'strict-dynamic' https://js.stripe.com");
    expect(directive(withStripe, "connect-src")).toBe("connect-src 'self' ws://127.0.0.1:8080 https://api.stripe.com");
    expect(directive(withStripe, "frame-src")).toBe("frame-src https://js.stripe.com https://hooks.stripe.com");
  });
});
