// The change feed under concurrent changes: every change takes the feed head's row lock, in whatever order
// its transaction's other writes come, so two changes can cross and PostgreSQL aborts one to break the
// deadlock. The aborted one is run again (lib/db.ts): neither fails, and the feed lists both.
import { describe, expect, it } from "vitest";
import { createTestApp, createUser } from "@/tests/helpers/fixtures";
import { databaseWithPlansPerFile } from "@/tests/helpers/database-per-file";
import type { TestDatabase } from "@/tests/helpers/test-database";
import { decodeFeedCursor, recordRelayChange, relayChangesSince } from "./relay-feed";

let database: TestDatabase;
databaseWithPlansPerFile((created) => (database = created));

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("relay change feed", () => {
  it("two crossing changes both commit (the deadlock victim runs again) and the feed lists both", async () => {
    const { db } = database;
    const user = await createUser(db);
    const first = await createTestApp(db, { tenantId: user.tenantId });
    const second = await createTestApp(db, { tenantId: user.tenantId });
    const start = await relayChangesSince(db, null);

    // One records a change to the first app early, then writes the second app's row; the other writes the
    // second app's row first and records its change after (as a top-up, a renewal and an app edit do, each
    // in its own order).
    const changeFirstThenTouchSecond = db.$transaction(async (tx) => {
      await recordRelayChange(tx, { appId: first.id });
      await pause(300);
      await tx.app.update({ where: { id: second.id }, data: { name: "renamed by the first" } });
    });
    const touchSecondThenChangeIt = db.$transaction(async (tx) => {
      await pause(100);
      await tx.app.update({ where: { id: second.id }, data: { name: "renamed by the second" } });
      await recordRelayChange(tx, { appId: second.id });
    });
    const outcomes = await Promise.allSettled([changeFirstThenTouchSecond, touchSecondThenChangeIt]);
    expect(outcomes.map((outcome) => (outcome.status === "rejected" ? String(outcome.reason).slice(0, 200) : "ok"))).toEqual(["ok", "ok"]);

    const page = await relayChangesSince(db, decodeFeedCursor(start.cursor));
    expect(page.changes.map((change) => change.appId).sort()).toEqual([first.id, second.id].sort());
    // Nothing left after the cursor it handed out.
    expect((await relayChangesSince(db, decodeFeedCursor(page.cursor))).changes).toEqual([]);
  });
});
