// An app on a paid plan the way a customer gets one: created on Free, a card saved for the team, then the
// plan changed (its prorated fee is charged to the card when the team's balance does not cover it).
// Creating directly on a paid plan would pay from the team's balance first.
import { expect } from "vitest";
import type { SessionClient } from "./session-client";

export const GOOD_TEST_CARD = "4242424242424242";

export async function createPaidApp(customer: SessionClient, name: string, planSlug: string): Promise<string> {
  const created = await customer.json<{ app: { id: string } }>("/api/apps", { method: "POST", body: JSON.stringify({ name }) });
  expect(created.status).toBe(201);
  const id = created.body.app.id;
  const card = await customer.json(`/api/apps/${id}/billing/auto-recharge`, {
    method: "PUT",
    body: JSON.stringify({ enabled: false, thresholdMinor: 0, amountMinor: 1000, cardNumber: GOOD_TEST_CARD }),
  });
  expect(card.status).toBe(200);
  expect((await customer.json(`/api/apps/${id}`, { method: "PATCH", body: JSON.stringify({ planSlug }) })).status).toBe(200);
  return id;
}
