// The plan editor's channel limits: optional (empty = none), whole numbers of at least 1, and listed in
// the confirmation of an edit as people read them.
import { describe, expect, it } from "vitest";
import type { Plan } from "@/components/api-types";
import { blankPlan, draftFromPlan, planChanges, validate } from "./plan-draft";

/** A new plan with every price typed (a blank price is an error of its own). */
const priced = {
  ...blankPlan,
  slug: "rooms",
  name: "Rooms",
  monthlyPriceMinor: "0",
  overagePricePer1000MessagesMinor: "0",
  overagePricePerConnectionMinor: "0",
  pricePer1000ConnectionMinutesMinor: "0",
  pricePer1000DeliveredMessagesMinor: "0",
  pricePerGbEgressMinor: "0",
};

describe("channel limits in the plan editor", () => {
  it("a new plan has none, sent as null", () => {
    const { errors, body } = validate(priced, true);
    expect(errors).toEqual({});
    expect(body).toMatchObject({ maxPeersPerChannel: null, maxActiveChannels: null });
  });

  it("takes whole numbers of at least 1 and names the field otherwise", () => {
    expect(validate({ ...priced, maxPeersPerChannel: "50", maxActiveChannels: "1,000" }, true).body).toMatchObject({ maxPeersPerChannel: 50, maxActiveChannels: 1000 });
    const { errors } = validate({ ...priced, maxPeersPerChannel: "0", maxActiveChannels: "2.5" }, true);
    expect(errors.maxPeersPerChannel).toBe("Max peers per channel: a whole number ≥ 1, or empty for no cap");
    expect(errors.maxActiveChannels).toBe("Max active channels: a whole number ≥ 1, or empty for no cap");
  });

  it("an edit lists a channel limit going from none to a number", () => {
    const body = validate(priced, true).body;
    const saved = { ...body, id: "plan_1", appCount: 2, freeEgressBytes: 0 } as unknown as Plan;
    const edited = { ...draftFromPlan(saved), maxActiveChannels: "25" };
    expect(planChanges(saved, edited)).toEqual([{ field: "maxActiveChannels", label: "Max active channels", before: "no cap", after: "25" }]);
  });
});
