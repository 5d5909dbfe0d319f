// A new subscriber's roster, a page at a time. Every page is a `presence` frame of at most
// `Limits.presenceRosterPagePeers` other peers (fewer when their metadata passes
// `Limits.presenceRosterPageMetadataBytes`), in peerId order, marked `roster: {page, last}`; the
// first follows the subscribe's ack. Pages are fetched and sent one page per event-loop turn (across
// all connections) and only once the connection's send buffer has drained. So one subscribe to a
// channel of thousands of peers costs a page of work at a time, never the whole roster at once, and a
// client that does not read stops its own paging instead of piling the roster up in memory. Paging
// stops when the connection closes, unsubscribes (or subscribes anew), or loses `presence`.
import type { Connection, Subscription } from "./connection";
import type { NodeContext } from "./node-context";
import { Limits, ServerFrame, ServerFrameType } from "./protocol";
import { DRAIN_CHECK_FIRST_MS, DRAIN_CHECK_MAX_MS, sendBufferDrained } from "./send-buffer";
import type { PresenceMember } from "./state/types";

function stillWanted(connection: Connection, subscription: Subscription): boolean {
  return !connection.isClosing && connection.canPresence && connection.subscriptions.get(subscription.channel) === subscription;
}

/**
 * Later pages of every connection wait in one queue and are served one page per event-loop turn, so
 * between two pages (of one subscriber or of many) the loop always gets to its sockets: thirty
 * subscribers paging at once delay a ping by one page, not thirty. One queue per process, because the
 * event loop is what the pagers share.
 */
const pageQueue: Array<() => Promise<void>> = [];
let serving = false;

function enqueue(step: () => Promise<void>): void {
  pageQueue.push(step);
  if (!serving) {
    serving = true;
    setImmediate(serveNext);
  }
}

function serveNext(): void {
  const step = pageQueue.shift();
  if (!step) {
    serving = false;
    return;
  }
  void step().finally(() => setImmediate(serveNext));
}

/**
 * How many of `members` one page holds: at most `limit`, and at least one, until their metadata passes
 * the page's bytes. Roster pages and the peers listing (`GET /v1/channels/:channel/peers`) both page so.
 */
export function peersFittingAPage(members: readonly PresenceMember[], limit: number): number {
  let metadataBytes = 0;
  for (let count = 0; count < Math.min(members.length, limit); count++) {
    metadataBytes += members[count]?.metadataJson?.length ?? 0;
    if (count > 0 && metadataBytes > Limits.presenceRosterPageMetadataBytes) return count;
  }
  return Math.min(members.length, limit);
}

/**
 * Reads and sends the roster page after `afterPeerId`; resolves with the cursor of the next page (null
 * after the last), or undefined when paging stopped before this page was sent.
 */
async function sendPage(context: NodeContext, connection: Connection, subscription: Subscription, afterPeerId: string | null, page: number): Promise<string | null | undefined> {
  const limit = Limits.presenceRosterPagePeers;
  // One more than a page, so a page holds `limit` peers other than the subscriber even when it is among them.
  const read = await context.state.presence.rosterPage(connection.appId, subscription.channel, afterPeerId, limit + 1);
  if (!stillWanted(connection, subscription)) return undefined;
  let others = read.members.filter((member) => member.peerId !== connection.peerId);
  let nextAfter = read.nextAfter;
  const fitting = peersFittingAPage(others, limit);
  if (fitting < others.length) {
    others = others.slice(0, fitting);
    nextAfter = others[fitting - 1]?.peerId ?? null;
  }
  connection.sendFrame(ServerFrameType.Presence, ServerFrame.presence(subscription.channel, others, [], { page, last: nextAfter === null }));
  return nextAfter;
}

/** Sends the presence frames held back while the first page was pending, after it. */
function releaseHeldPresence(connection: Connection, subscription: Subscription): void {
  const held = subscription.heldPresence;
  delete subscription.heldPresence;
  if (!held || !stillWanted(connection, subscription)) return;
  for (const frame of held) connection.sendFrame(ServerFrameType.Presence, frame);
}

/** Queues the page after `cursor` (null: the first page) once the connection's send buffer has drained. */
function pageLater(context: NodeContext, connection: Connection, subscription: Subscription, cursor: string | null, page: number, drainCheckMs = DRAIN_CHECK_FIRST_MS): void {
  enqueue(async () => {
    if (stillWanted(connection, subscription) && !sendBufferDrained(connection)) {
      const retry = () => pageLater(context, connection, subscription, cursor, page, Math.min(drainCheckMs * 2, DRAIN_CHECK_MAX_MS));
      setTimeout(retry, drainCheckMs).unref();
      return;
    }
    let next: string | null | undefined;
    try {
      if (stillWanted(connection, subscription)) next = await sendPage(context, connection, subscription, cursor, page);
    } catch (error) {
      context.logger.warn("roster paging failed", { connectionId: connection.id, page, error: error instanceof Error ? error.message : String(error) });
    } finally {
      if (page === 1) releaseHeldPresence(connection, subscription);
    }
    if (typeof next === "string") pageLater(context, connection, subscription, next, page + 1);
  });
}

/**
 * Queues the roster's pages (see the file comment). Until the first is sent, the subscription's
 * presence changes are held back, so they follow it.
 */
export function sendRoster(context: NodeContext, connection: Connection, subscription: Subscription): void {
  // Usually already holding since the subscription was made; changes held until now must not be lost.
  subscription.heldPresence ??= [];
  pageLater(context, connection, subscription, null, 1);
}
