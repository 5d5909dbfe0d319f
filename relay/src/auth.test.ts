import { describe, expect, it } from "vitest";
import { credentialFromQuery, credentialKeyId, credentialParams } from "./auth";

const token = "eyJhbGciOiJIUzI1NiIsImtpZCI6InNrX2lkX2EifQ.eyJzdWIiOiJwIn0.c2ln";

describe("credentialParams", () => {
  it.each([
    `token=${token}`,
    `key=pk_live_1`,
    `foo=1&token=${token}&bar`,
    `token=${token}&key=pk_live_1`,
    `token=a&token=b`,
    `key=a&key=b`,
    `token`,
    `token=`,
    `key=&x=1`,
    ``,
    `&&token=${token}&&`,
    `tok%65n=${token}`,
    `key=pk%5Flive+1`,
    `token=a=b`,
  ])("reads %j as URLSearchParams would", (query) => {
    const params = new URLSearchParams(query);
    expect(credentialParams(query)).toEqual({ tokens: params.getAll("token"), keys: params.getAll("key") });
  });
});

describe("credentialFromQuery", () => {
  it("decodes the token's header once, for the key id and for verification", () => {
    const credential = credentialFromQuery(`token=${token}`);
    expect(credential.kind).toBe("token");
    expect(credential.kind === "token" && credential.jwt?.header).toEqual({ alg: "HS256", kid: "sk_id_a" });
    expect(credentialKeyId(credential)).toBe("sk_id_a");
  });

  it("refuses a query with neither or both credentials, or a repeated one", () => {
    expect(credentialFromQuery("").kind).toBe("invalid");
    expect(credentialFromQuery(`token=${token}&key=pk_live_1`).kind).toBe("invalid");
    expect(credentialFromQuery("key=pk_a&key=pk_b").kind).toBe("invalid");
    expect(credentialKeyId(credentialFromQuery("key=pk_a&key=pk_b"))).toBeNull();
  });
});
