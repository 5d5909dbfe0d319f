import type { LookupAddress } from "node:dns";
import { describe, expect, it } from "vitest";
import { isAddressAllowed, isHostNameAllowed, NO_ALLOWED_TARGETS, parseAllowedTargets } from "./allowed-targets";
import { pinnedLookup, refusalOfUrlHost, resolveAllowedAddresses, type ResolveHost, TargetNotAllowedError } from "./target-policy";

const resolvesTo =
  (...addresses: string[]): ResolveHost =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

describe("parseAllowedTargets", () => {
  it("reads addresses, ranges and host names, ignoring blanks, case and root dots", () => {
    const allowed = parseAllowedTargets(" 127.0.0.1, 10.0.0.0/8 ,[::1], fd00::/8,Hooks.Internal., *.svc.cluster.local,, ");
    expect(isAddressAllowed("127.0.0.1", allowed)).toBe(true);
    expect(isAddressAllowed("127.0.0.2", allowed)).toBe(false);
    expect(isAddressAllowed("10.200.3.4", allowed)).toBe(true);
    expect(isAddressAllowed("::1", allowed)).toBe(true);
    expect(isAddressAllowed("fd12::5", allowed)).toBe(true);
    expect(isAddressAllowed("::ffff:127.0.0.1", allowed)).toBe(true);
    expect(isHostNameAllowed("hooks.internal", allowed)).toBe(true);
    expect(isHostNameAllowed("HOOKS.internal.", allowed)).toBe(true);
    expect(isHostNameAllowed("other.internal", allowed)).toBe(false);
    expect(isHostNameAllowed("billing.default.svc.cluster.local", allowed)).toBe(true);
    expect(isHostNameAllowed("svc.cluster.local", allowed)).toBe(false);
  });

  it("is empty by default", () => {
    expect(isAddressAllowed("127.0.0.1", NO_ALLOWED_TARGETS)).toBe(false);
    expect(isHostNameAllowed("localhost", NO_ALLOWED_TARGETS)).toBe(false);
  });

  it.each(["10.0.0.0/33", "::1/129", "300.1.1.1", "10.0.0.0/8/1", "10.0.0.0/x", "http://hooks.internal", "hooks internal", "*.", "127.1", "hooks_.example.0x7f", "-bad.example"])(
    "refuses %s with a message naming it",
    (entry) => {
      expect(() => parseAllowedTargets(`127.0.0.1,${entry}`)).toThrow(`"${entry}" is not an IP address, a CIDR range`);
    },
  );
});

describe("refusalOfUrlHost", () => {
  it("refuses literal forbidden addresses and localhost names, naming the kind and the setting", () => {
    expect(refusalOfUrlHost(new URL("http://2130706433:9/"), NO_ALLOWED_TARGETS)).toBe(
      "127.0.0.1 is a loopback address. Webhooks reach only the public internet; the operator can allow internal targets with WEBHOOK_ALLOWED_TARGETS.",
    );
    expect(refusalOfUrlHost(new URL("http://169.254.169.254/latest/meta-data"), NO_ALLOWED_TARGETS)).toMatch(/^169\.254\.169\.254 is a link-local address\./);
    expect(refusalOfUrlHost(new URL("http://[::ffff:10.0.0.1]/"), NO_ALLOWED_TARGETS)).toMatch(/^::ffff:a00:1 is a private address\./);
    expect(refusalOfUrlHost(new URL("http://LocalHost.:3000/"), NO_ALLOWED_TARGETS)).toMatch(/^localhost is a loopback name\./);
    expect(refusalOfUrlHost(new URL("http://admin.localhost/"), NO_ALLOWED_TARGETS)).toMatch(/WEBHOOK_ALLOWED_TARGETS/);
  });

  it("accepts public addresses and host names (those are checked when resolved at delivery)", () => {
    expect(refusalOfUrlHost(new URL("https://93.184.216.34/hook"), NO_ALLOWED_TARGETS)).toBeNull();
    expect(refusalOfUrlHost(new URL("https://hooks.example.com/hook"), NO_ALLOWED_TARGETS)).toBeNull();
  });

  it("accepts what the allowlist covers", () => {
    const allowed = parseAllowedTargets("127.0.0.0/8,localhost");
    expect(refusalOfUrlHost(new URL("http://127.1:9/"), allowed)).toBeNull();
    expect(refusalOfUrlHost(new URL("http://[::ffff:127.0.0.1]:9/"), allowed)).toBeNull();
    expect(refusalOfUrlHost(new URL("http://localhost:9/"), allowed)).toBeNull();
    expect(refusalOfUrlHost(new URL("http://10.0.0.1:9/"), allowed)).not.toBeNull();
    expect(refusalOfUrlHost(new URL("http://[::1]:9/"), allowed)).not.toBeNull();
  });
});

describe("resolveAllowedAddresses", () => {
  it("refuses a name if any of its addresses is forbidden", async () => {
    await expect(resolveAllowedAddresses("hooks.example.com", NO_ALLOWED_TARGETS, resolvesTo("127.0.0.1"))).rejects.toBeInstanceOf(TargetNotAllowedError);
    await expect(resolveAllowedAddresses("hooks.example.com", NO_ALLOWED_TARGETS, resolvesTo("93.184.216.34", "::ffff:169.254.169.254"))).rejects.toBeInstanceOf(
      TargetNotAllowedError,
    );
    await expect(resolveAllowedAddresses("hooks.example.com", NO_ALLOWED_TARGETS, resolvesTo("93.184.216.34", "2606:2800:220:1::1"))).resolves.toHaveLength(2);
  });

  it("refuses localhost names even if a resolver claims a public address", async () => {
    await expect(resolveAllowedAddresses("api.localhost", NO_ALLOWED_TARGETS, resolvesTo("93.184.216.34"))).rejects.toBeInstanceOf(TargetNotAllowedError);
  });

  it("checks a literal without resolving it", async () => {
    const neverCalled: ResolveHost = async () => {
      throw new Error("resolved a literal");
    };
    await expect(resolveAllowedAddresses("::ffff:7f00:1", NO_ALLOWED_TARGETS, neverCalled)).rejects.toBeInstanceOf(TargetNotAllowedError);
    await expect(resolveAllowedAddresses("8.8.8.8", NO_ALLOWED_TARGETS, neverCalled)).resolves.toEqual([{ address: "8.8.8.8", family: 4 }]);
  });

  it("lets the allowlist through, by address or by name", async () => {
    await expect(resolveAllowedAddresses("sink.test", parseAllowedTargets("127.0.0.1"), resolvesTo("127.0.0.1"))).resolves.toHaveLength(1);
    await expect(resolveAllowedAddresses("sink.test", parseAllowedTargets("127.0.0.1"), resolvesTo("127.0.0.1", "::1"))).rejects.toBeInstanceOf(TargetNotAllowedError);
    await expect(resolveAllowedAddresses("sink.test", parseAllowedTargets("sink.test"), resolvesTo("127.0.0.1", "::1"))).resolves.toHaveLength(2);
  });

  it("fails like DNS when a name has no addresses", async () => {
    await expect(resolveAllowedAddresses("nothing.test", NO_ALLOWED_TARGETS, resolvesTo())).rejects.toMatchObject({ code: "ENOTFOUND" });
  });
});

describe("pinnedLookup", () => {
  const lookup = pinnedLookup([
    { address: "93.184.216.34", family: 4 },
    { address: "2606:2800:220:1::1", family: 6 },
  ]);
  const ask = (options: { all?: boolean; family?: number }) =>
    new Promise<string | LookupAddress[]>((resolve, reject) => lookup("anything.example", options, (error, address) => (error ? reject(error) : resolve(address))));

  it("answers with the checked addresses, whatever name it is asked for", async () => {
    expect(await ask({})).toBe("93.184.216.34");
    expect(await ask({ family: 6 })).toBe("2606:2800:220:1::1");
    expect(await ask({ all: true })).toEqual([
      { address: "93.184.216.34", family: 4 },
      { address: "2606:2800:220:1::1", family: 6 },
    ]);
  });

  it("has nothing for a family the name does not have", async () => {
    await expect(new Promise((resolve, reject) => pinnedLookup([{ address: "93.184.216.34", family: 4 }])("x", { family: 6 }, (error, address) => (error ? reject(error) : resolve(address))))).rejects.toMatchObject({
      code: "ENOTFOUND",
    });
  });
});
