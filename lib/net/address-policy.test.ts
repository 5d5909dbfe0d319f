import { describe, expect, it } from "vitest";
import { forbiddenAddressKind, hostOfUrl, isLocalhostName } from "./address-policy";

describe("forbiddenAddressKind", () => {
  it.each([
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["10.0.0.1", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "shared"],
    ["100.127.255.255", "shared"],
    ["169.254.169.254", "link-local"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["198.18.0.1", "reserved"],
    ["192.0.2.1", "reserved"],
  ])("IPv4 %s is %s", (address, kind) => {
    expect(forbiddenAddressKind(address)).toBe(kind);
  });

  it.each([
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["[::1]", "loopback"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["febf::1", "link-local"],
    ["fc00::1", "unique-local"],
    ["fd12:3456::1", "unique-local"],
    ["ff02::1", "multicast"],
    ["fec0::1", "private"],
    ["64:ff9b:1::a", "reserved"],
    ["2001:0:4136:e378::1", "reserved"],
    ["100::1", "reserved"],
  ])("IPv6 %s is %s", (address, kind) => {
    expect(forbiddenAddressKind(address)).toBe(kind);
  });

  it.each([
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:a9fe:a9fe", "link-local"],
    ["::ffff:10.1.2.3", "private"],
    ["::127.0.0.1", "loopback"],
    ["::a00:1", "private"],
    ["::ffff:0:127.0.0.1", "loopback"],
    ["64:ff9b::127.0.0.1", "loopback"],
    ["64:ff9b::a9fe:a9fe", "link-local"],
    ["2002:7f00:1::", "loopback"],
    ["2002:c0a8:101::1", "private"],
  ])("an IPv4 address inside IPv6 (%s) is judged as that IPv4 address: %s", (address, kind) => {
    expect(forbiddenAddressKind(address)).toBe(kind);
  });

  it.each(["93.184.216.34", "8.8.8.8", "1.1.1.1", "100.128.0.1", "172.32.0.1", "169.253.0.1", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"])(
    "public address %s is allowed",
    (address) => {
      expect(forbiddenAddressKind(address)).toBeNull();
    },
  );

  it("treats anything that is not an IP address as forbidden", () => {
    expect(forbiddenAddressKind("example.com")).toBe("reserved");
    expect(forbiddenAddressKind("")).toBe("reserved");
  });
});

describe("hostOfUrl: every numeric spelling of loopback comes out as an address the policy forbids", () => {
  it.each([
    ["http://127.0.0.1:8080/", "127.0.0.1"],
    ["http://127.1:8080/", "127.0.0.1"],
    ["http://2130706433:8080/", "127.0.0.1"],
    ["http://0x7f000001:8080/", "127.0.0.1"],
    ["http://0177.0.0.1:8080/", "127.0.0.1"],
    ["http://0x7f.1/", "127.0.0.1"],
    ["http://127.0.0.1./", "127.0.0.1"],
    ["http://0/", "0.0.0.0"],
    ["http://[::ffff:127.0.0.1]:8080/", "::ffff:7f00:1"],
    ["http://[::ffff:7f00:1]:8080/", "::ffff:7f00:1"],
    ["http://[0:0:0:0:0:0:0:1]/", "::1"],
    ["http://[::127.0.0.1]/", "::7f00:1"],
  ])("%s → %s", (url, host) => {
    expect(hostOfUrl(new URL(url))).toBe(host);
    expect(forbiddenAddressKind(host)).not.toBeNull();
  });
});

describe("isLocalhostName", () => {
  it("knows localhost and its subdomains, with or without the root dot", () => {
    for (const host of ["localhost", "LOCALHOST", "localhost.", "app.localhost", "a.b.localhost."]) expect(isLocalhostName(host), host).toBe(true);
    for (const host of ["localhost.example.com", "notlocalhost", "example.com"]) expect(isLocalhostName(host), host).toBe(false);
  });
});
