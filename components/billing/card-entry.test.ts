import { describe, expect, it } from "vitest";
import { cardEntryOf, topUpCardChoice } from "./card-entry";

const card = { ref: "pm_1", brand: "visa", last4: "4242" };

describe("cardEntryOf", () => {
  it("shows Stripe's card form when the server says Stripe is configured, the card-number form otherwise", () => {
    expect(cardEntryOf({ stripe: { publishableKey: "pk_test_1" } })).toEqual({ kind: "stripe", publishableKey: "pk_test_1" });
    expect(cardEntryOf({ stripe: null })).toEqual({ kind: "card_number" });
  });
});

describe("topUpCardChoice", () => {
  it("with Stripe never asks for a card number: the top-up charges the card on file", () => {
    expect(topUpCardChoice({ stripe: { publishableKey: "pk_test_1" }, paymentMethod: card }, false)).toEqual({ chargesStoredCard: true, showsCardChoice: false, showsCardNumber: false });
    expect(topUpCardChoice({ stripe: { publishableKey: "pk_test_1" }, paymentMethod: null }, false)).toMatchObject({ showsCardNumber: false });
  });

  it("with the test provider keeps today's form: the number without a card on file, a choice with one", () => {
    expect(topUpCardChoice({ stripe: null, paymentMethod: null }, false)).toEqual({ chargesStoredCard: false, showsCardChoice: false, showsCardNumber: true });
    expect(topUpCardChoice({ stripe: null, paymentMethod: card }, true)).toEqual({ chargesStoredCard: true, showsCardChoice: true, showsCardNumber: false });
    expect(topUpCardChoice({ stripe: null, paymentMethod: card }, false)).toEqual({ chargesStoredCard: false, showsCardChoice: true, showsCardNumber: true });
  });
});
