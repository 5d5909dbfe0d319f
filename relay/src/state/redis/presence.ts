// Presence across nodes: one Redis hash per (app, channel) counts each peer's connections on every
// node, so "first connection of a peer" and "last connection of a peer" are decided atomically in
// Redis. Each node also indexes its own memberships, which lets any node reap a crashed node's
// presence (see REAP) and lets this node push its memberships again after an outage.
import { SortedPeers } from "../sorted-peers";
import type { PresenceMember, PresenceStore, RosterPage } from "../types";
import { UNAVAILABLE } from "./link";
import type { RedisClient, RedisLink } from "./link";
import type { RedisKeys } from "./keys";
import { PRESENCE_JOIN, PRESENCE_LEAVE, PRESENCE_ROSTER_PAGE } from "./scripts";

interface LocalPeer {
  /** Set in the literal that creates the entry: a property added later costs a backing store of its own. */
  metadataJson: string | undefined;
  connectionIds: Set<string>;
}

function channelKey(appId: string, channel: string): string {
  return `${appId}\u0000${channel}`;
}

function memberOf(peerId: string, metadataJson: string | undefined): PresenceMember {
  return metadataJson === undefined ? { peerId } : { peerId, metadataJson };
}

/** A node's own presence index entry: [app, channel, peer, connection]. */
function parseIndexEntry(text: string): [string, string, string, string] | null {
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed) && parsed.length === 4) {
      const [appId, channel, peerId, connectionId]: unknown[] = parsed;
      if (typeof appId === "string" && typeof channel === "string" && typeof peerId === "string" && typeof connectionId === "string") {
        return [appId, channel, peerId, connectionId];
      }
    }
  } catch {
    // An entry this version cannot read is left to the reaper.
  }
  return null;
}

export class RedisPresenceStore implements PresenceStore {
  /** This node's memberships: appId\0channel → its peers here, in peerId order (the roster during an outage). */
  private readonly own = new Map<string, SortedPeers<LocalPeer>>();

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly nodeId: string,
  ) {
    link.onReconcile(() => this.reconcile());
  }

  /** Adds the connection locally; true when the peer had no connection on this node in the channel. */
  private remember(appId: string, channel: string, member: PresenceMember, connectionId: string): boolean {
    const key = channelKey(appId, channel);
    let peers = this.own.get(key);
    if (!peers) {
      peers = new SortedPeers();
      this.own.set(key, peers);
    }
    const existing = peers.get(member.peerId);
    if (existing) {
      existing.connectionIds.add(connectionId);
      return false;
    }
    const created: LocalPeer = { metadataJson: member.metadataJson, connectionIds: new Set([connectionId]) };
    peers.set(member.peerId, created);
    this.link.localChanges += 1;
    return true;
  }

  /** Removes the connection locally; true when it was the peer's last one on this node in the channel. */
  private forget(appId: string, channel: string, peerId: string, connectionId: string): boolean {
    const key = channelKey(appId, channel);
    const peers = this.own.get(key);
    const entry = peers?.get(peerId);
    if (!peers || !entry || !entry.connectionIds.delete(connectionId)) return false;
    this.link.localChanges += 1;
    if (entry.connectionIds.size > 0) return false;
    peers.delete(peerId);
    if (peers.size === 0) this.own.delete(key);
    return true;
  }

  private channelKeys(appId: string, channel: string): string[] {
    return [this.keys.presence(appId, channel), this.keys.presencePeers(appId, channel)];
  }

  /** Joins in Redis; the node's index (another slot on a cluster) lists the membership first, so a reaper finds it. */
  private joinInRedis(redis: RedisClient, appId: string, channel: string, member: PresenceMember, connectionId: string): Promise<unknown> {
    void redis.sadd(this.keys.nodePresence(this.nodeId), JSON.stringify([appId, channel, member.peerId, connectionId])).catch(() => undefined);
    return this.link.script(redis, PRESENCE_JOIN, this.channelKeys(appId, channel), [member.peerId, connectionId, member.metadataJson ?? ""]);
  }

  private async leaveInRedis(redis: RedisClient, appId: string, channel: string, peerId: string, connectionId: string, indexEntry: string): Promise<unknown> {
    const result = await this.link.script(redis, PRESENCE_LEAVE, this.channelKeys(appId, channel), [peerId, connectionId]);
    await redis.srem(this.keys.nodePresence(this.nodeId), indexEntry);
    return result;
  }

  async join(appId: string, channel: string, member: PresenceMember, connectionId: string): Promise<{ firstForPeer: boolean }> {
    const firstLocally = this.remember(appId, channel, member, connectionId);
    const result = await this.link.call((redis) => this.joinInRedis(redis, appId, channel, member, connectionId));
    // Outage: other nodes' memberships are unknown, so the local view decides whom to announce.
    if (result === UNAVAILABLE) return { firstForPeer: firstLocally };
    return { firstForPeer: result === 1 };
  }

  async leave(appId: string, channel: string, peerId: string, connectionId: string): Promise<{ lastForPeer: boolean }> {
    const lastLocally = this.forget(appId, channel, peerId, connectionId);
    const result = await this.link.call((redis) => this.leaveInRedis(redis, appId, channel, peerId, connectionId, JSON.stringify([appId, channel, peerId, connectionId])));
    if (result === UNAVAILABLE) return { lastForPeer: lastLocally };
    return { lastForPeer: result === 1 };
  }

  async rosterPage(appId: string, channel: string, afterPeerId: string | null, limit: number): Promise<RosterPage> {
    const result = await this.link.call((redis) =>
      this.link.script(redis, PRESENCE_ROSTER_PAGE, this.channelKeys(appId, channel), [afterPeerId ?? "", String(limit)]),
    );
    if (result === UNAVAILABLE) {
      const page = this.own.get(channelKey(appId, channel))?.page(afterPeerId, limit);
      return page ? { members: page.entries.map(([peerId, entry]) => memberOf(peerId, entry.metadataJson)), nextAfter: page.nextAfter } : { members: [], nextAfter: null };
    }
    if (!Array.isArray(result)) throw new Error("unexpected roster page reply");
    const members: PresenceMember[] = [];
    for (let i = 1; i + 1 < result.length; i += 2) {
      const peerId: unknown = result[i];
      const metadataText: unknown = result[i + 1];
      if (typeof peerId !== "string" || typeof metadataText !== "string") continue;
      // Stored as the JSON text a node validated at connect: passed on as is, never parsed here.
      members.push(memberOf(peerId, metadataText === "" ? undefined : metadataText));
    }
    const last = members.at(-1);
    return { members, nextAfter: result[0] === 1 && last ? last.peerId : null };
  }

  /** Makes Redis hold exactly this node's local memberships (idempotent; no announcements). */
  private async reconcile(): Promise<void> {
    const redis = this.link.command;
    const indexed = await redis.smembers(this.keys.nodePresence(this.nodeId));
    const wanted = new Set<string>();
    const pending: Array<Promise<unknown>> = [];
    for (const [key, peers] of this.own) {
      const separator = key.indexOf("\u0000");
      const appId = key.slice(0, separator);
      const channel = key.slice(separator + 1);
      for (const [peerId, entry] of peers) {
        for (const connectionId of entry.connectionIds) {
          wanted.add(JSON.stringify([appId, channel, peerId, connectionId]));
          pending.push(this.joinInRedis(redis, appId, channel, memberOf(peerId, entry.metadataJson), connectionId));
        }
      }
    }
    for (const text of indexed) {
      const entry = parseIndexEntry(text);
      // Lua's cjson escapes "/" where JSON.stringify does not, so compare decoded entries.
      if (!entry || wanted.has(JSON.stringify(entry))) continue;
      const [appId, channel, peerId, connectionId] = entry;
      pending.push(this.leaveInRedis(redis, appId, channel, peerId, connectionId, text));
    }
    await Promise.all(pending);
  }
}

/**
 * Removes a dead node's memberships (any live node does it, see RedisRelayState.reap); returns the
 * [app, channel, peer] of each peer that thereby left, for the caller to announce. Idempotent: a
 * membership already removed is not announced twice.
 */
export async function reapPresence(link: RedisLink, keys: RedisKeys, deadNodeId: string): Promise<Array<[string, string, string]>> {
  const redis = link.command;
  const indexKey = keys.nodePresence(deadNodeId);
  const left: Array<[string, string, string]> = [];
  await Promise.all(
    (await redis.smembers(indexKey)).map(async (text) => {
      const entry = parseIndexEntry(text);
      if (!entry) return;
      const [appId, channel, peerId, connectionId] = entry;
      const result = await link.script(redis, PRESENCE_LEAVE, [keys.presence(appId, channel), keys.presencePeers(appId, channel)], [peerId, connectionId]);
      if (result === 1) left.push([appId, channel, peerId]);
    }),
  );
  await redis.del(indexKey);
  return left;
}
