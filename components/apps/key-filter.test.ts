import { describe, expect, it } from "vitest";
import type { Key } from "@/components/api-types";
import { filterKeys } from "./key-filter";

function key(id: string, name: string, status: Key["status"]): Key {
  return { id, name, status, kind: "publishable", secretPrefix: null } as Key;
}

const keys = [key("pk_live_aaa", "Web app", "active"), key("sk_id_bbb", "Backend", "expiring"), key("pk_live_ccc", "Old web", "revoked"), key("sk_id_ddd", "Cron", "expired")];
const ids = (list: Key[]) => list.map((k) => k.id);

describe("filterKeys", () => {
  it("filters by status; revoked includes expired keys", () => {
    expect(ids(filterKeys(keys, { filter: "all", query: "" }))).toEqual(["pk_live_aaa", "sk_id_bbb", "pk_live_ccc", "sk_id_ddd"]);
    expect(ids(filterKeys(keys, { filter: "active", query: "" }))).toEqual(["pk_live_aaa"]);
    expect(ids(filterKeys(keys, { filter: "expiring", query: "" }))).toEqual(["sk_id_bbb"]);
    expect(ids(filterKeys(keys, { filter: "revoked", query: "" }))).toEqual(["pk_live_ccc", "sk_id_ddd"]);
  });

  it("searches names and ids, ignoring case and spaces around the text", () => {
    expect(ids(filterKeys(keys, { filter: "all", query: "  WEB " }))).toEqual(["pk_live_aaa", "pk_live_ccc"]);
    expect(ids(filterKeys(keys, { filter: "all", query: "sk_id_d" }))).toEqual(["sk_id_ddd"]);
    expect(ids(filterKeys(keys, { filter: "active", query: "old" }))).toEqual([]);
  });
});
