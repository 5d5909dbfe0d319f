// The relay change feed (docs/ARCHITECTURE.md §1): every change to what relays enforce for an app (plan,
// override, keys, billing state, status, period) gives the app the feed's next version, in the same
// transaction as the change. Relays ask "which apps changed after cursor C" and get app ids from the
// (relayVersion, id) index; usage counts never move a version.
//
// Versions come from the one row of RelayFeedHead, taken under its row lock: a later version cannot
// commit before an earlier one, so a relay that has read version V has read every change up to V.
import { CHANGE_FEED_PAGE_SIZE, type ChangeFeedResponse } from "@tollgate/relay/protocol";
import type { Db } from "@/lib/db";
import { Prisma } from "@/lib/generated/prisma/client";

type Tx = Prisma.TransactionClient;

/**
 * Whose enforcement state changed: one app, every app on a plan (a plan's limits or prices), or every app
 * of a team (the team's wallet: its balance, auto-recharge or spend cap, which all its apps draw on).
 */
export type RelayChangeScope = { appId: string } | { planId: string } | { tenantId: string };

/** Records the change in the feed; call it inside the transaction that makes the change. */
export async function recordRelayChange(tx: Tx, scope: RelayChangeScope): Promise<void> {
  const [head] = await tx.$queryRaw<Array<{ version: bigint }>>`UPDATE "RelayFeedHead" SET "version" = "version" + 1 WHERE "id" = 1 RETURNING "version"`;
  if (!head) throw new Error("RelayFeedHead has no row: run the migrations");
  if ("appId" in scope) await tx.$executeRaw`UPDATE "App" SET "relayVersion" = ${head.version} WHERE "id" = ${scope.appId}`;
  else if ("planId" in scope) await tx.$executeRaw`UPDATE "App" SET "relayVersion" = ${head.version} WHERE "planId" = ${scope.planId} AND "deletedAt" IS NULL`;
  else await tx.$executeRaw`UPDATE "App" SET "relayVersion" = ${head.version} WHERE "tenantId" = ${scope.tenantId} AND "deletedAt" IS NULL`;
}

/** A position in the feed: after every app of `version` (afterAppId null) or after that app of it. */
interface FeedCursor {
  version: bigint;
  afterAppId: string | null;
}

function encodeCursor(cursor: FeedCursor): string {
  return cursor.afterAppId === null ? cursor.version.toString() : `${cursor.version}:${cursor.afterAppId}`;
}

/** The cursor a relay sent back, or null when it is not one this feed issued. */
export function decodeFeedCursor(text: string): FeedCursor | null {
  const match = /^(\d{1,19})(?::(.{1,64}))?$/.exec(text);
  if (!match?.[1]) return null;
  return { version: BigInt(match[1]), afterAppId: match[2] ?? null };
}

/**
 * The apps changed after `since` (one page, in feed order), or without `since` the feed's head: a relay
 * that starts with nothing held needs no history. One indexed range read, whatever the number of apps.
 */
export async function relayChangesSince(db: Db, since: FeedCursor | null, pageSize: number = CHANGE_FEED_PAGE_SIZE): Promise<ChangeFeedResponse> {
  if (since === null) {
    const head = await db.relayFeedHead.findUniqueOrThrow({ where: { id: 1 } });
    return { cursor: encodeCursor({ version: head.version, afterAppId: null }), changes: [], more: false };
  }
  const after =
    since.afterAppId === null
      ? Prisma.sql`"relayVersion" > ${since.version}`
      : Prisma.sql`("relayVersion", "id") > (${since.version}, ${since.afterAppId})`;
  const rows = await db.$queryRaw<Array<{ id: string; relayVersion: bigint }>>`
    SELECT "id", "relayVersion" FROM "App" WHERE ${after} ORDER BY "relayVersion", "id" LIMIT ${pageSize + 1}`;
  const page = rows.slice(0, pageSize);
  const last = page.at(-1);
  const more = rows.length > pageSize;
  // A full page ends after its last app; otherwise the cursor moves past that app's whole version.
  const cursor = last ? { version: last.relayVersion, afterAppId: more ? last.id : null } : since;
  return { cursor: encodeCursor(cursor), changes: page.map((row) => ({ appId: row.id, version: row.relayVersion.toString() })), more };
}
