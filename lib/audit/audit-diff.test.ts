import { describe, expect, it } from "vitest";
import { auditChanges, describeChanges } from "./audit-diff";

describe("audit diffs a person can read", () => {
  it("shows only changed fields, formats money and bytes, and hides nulls on both sides", () => {
    const changes = auditChanges(
      { name: "Chat", balanceMinor: 150_000, note: null, overagesEnabled: false, freeEgressBytes: 1_000_000_000, planSlug: "free" },
      { name: "Chat", balanceMinor: 250_050, note: null, overagesEnabled: true, freeEgressBytes: 5_000_000_000, planSlug: "starter", reason: "abuse" },
    );
    expect(changes).toEqual([
      { field: "balance", before: "$1,500.00", after: "$2,500.50" },
      { field: "overages enabled", before: "no", after: "yes" },
      { field: "free egress bytes", before: "1 GB", after: "5 GB" },
      { field: "plan slug", before: "free", after: "starter" },
      { field: "reason", before: null, after: "abuse" },
    ]);
    expect(describeChanges(changes.slice(0, 1))).toBe("balance: $1,500.00 → $2,500.50");
  });

  it("names the ids it knows and reads nested records as fields, never as JSON", () => {
    const names = new Map([["cm_plan1", "plan Pro"]]);
    expect(auditChanges({ planId: "cm_plan1" }, { planId: "cm_unknown", priceChange: { affectedApps: 62, appliesFrom: "next_period" } }, names)).toEqual([
      { field: "plan", before: "plan Pro", after: "cm_unknown" },
      { field: "price change", before: null, after: "affected apps 62, applies from next_period" },
    ]);
  });

  it("a creation or a deletion lists the non-empty side; an entry without data has no rows", () => {
    expect(auditChanges(undefined, { name: "New", tenantId: "t1", deletedAt: null })).toEqual([
      { field: "name", before: null, after: "New" },
      { field: "tenant", before: null, after: "t1" },
    ]);
    expect(auditChanges(null, null)).toEqual([]);
  });
});
