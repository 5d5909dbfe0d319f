// Presence across nodes: one Redis hash per (app, channel) counts each peer's connections on every
// node, so "first connection of a peer" and "last connection of a peer" are decided atomically in
// Redis. Each node also indexes its own memberships, which lets any node reap a crashed node's
// presence (see REAP) and lets this node push its memberships again after an outage.
import { SortedPeers } from "../sorted-peers";
import { NO_CHANNEL_LIMITS } from "../types";
import type { ChannelLimits, ChannelRefusal, JoinResult, PresenceMember, PresenceStore, RosterPage } from "../types";
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

/** The keys a join or leave touches: the channel's presence hash and peers, and the app's active channels (one hash tag). */
function joinKeys(keys: RedisKeys, appId: string, channel: string): string[] {
  return [keys.presence(appId, channel), keys.presencePeers(appId, channel), keys.activeChannels(appId)];
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

  /**
   * Joins in Redis, checking the limits in the same script; the node's index (another slot on a
   * cluster) lists the membership first, so a reaper finds it, and drops it again when refused.
   */
  private async joinInRedis(redis: RedisClient, appId: string, channel: string, member: PresenceMember, connectionId: string, limits: ChannelLimits): Promise<JoinResult> {
    const indexEntry = JSON.stringify([appId, channel, member.peerId, connectionId]);
    void redis.sadd(this.keys.nodePresence(this.nodeId), indexEntry).catch(() => undefined);
    const reply = await this.link.script(redis, PRESENCE_JOIN, joinKeys(this.keys, appId, channel), [
      member.peerId,
      connectionId,
      member.metadataJson ?? "",
      channel,
      limits.maxPeersPerChannel ?? -1,
      limits.maxActiveChannels ?? -1,
    ]);
    const [status, count]: unknown[] = Array.isArray(reply) ? reply : [];
    if (status === -1 || status === -2) {
      void redis.srem(this.keys.nodePresence(this.nodeId), indexEntry).catch(() => undefined);
      const limit = status === -1 ? "maxPeersPerChannel" : "maxActiveChannels";
      return { firstForPeer: false, refused: { limit, max: limits[limit] ?? 0, count: Number(count) } };
    }
    if (status === 1 && count !== undefined) return { firstForPeer: true, activeChannels: Number(count) };
    return { firstForPeer: status === 1 };
  }

  private async leaveInRedis(redis: RedisClient, appId: string, channel: string, peerId: string, connectionId: string, indexEntry: string): Promise<unknown> {
    const result = await this.link.script(redis, PRESENCE_LEAVE, joinKeys(this.keys, appId, channel), [peerId, connectionId, channel]);
    await redis.srem(this.keys.nodePresence(this.nodeId), indexEntry);
    return result;
  }

  /**
   * During an outage the other nodes' memberships are unknown: the limits are checked against this
   * node's own (so across N nodes a channel holds at most N × the limit until Redis is back).
   */
  private localRefusal(appId: string, channel: string, peerId: string, limits: ChannelLimits): ChannelRefusal | undefined {
    const peers = this.own.get(channelKey(appId, channel));
    if (peers?.get(peerId)) return undefined;
    const present = peers?.size ?? 0;
    if (present === 0 && limits.maxActiveChannels !== null) {
      const active = this.ownActiveChannels(appId);
      if (active >= limits.maxActiveChannels) return { limit: "maxActiveChannels", max: limits.maxActiveChannels, count: active };
    }
    if (limits.maxPeersPerChannel !== null && present >= limits.maxPeersPerChannel) return { limit: "maxPeersPerChannel", max: limits.maxPeersPerChannel, count: present };
    return undefined;
  }

  async join(appId: string, channel: string, member: PresenceMember, connectionId: string, limits: ChannelLimits = NO_CHANNEL_LIMITS): Promise<JoinResult> {
    const limited = limits.maxPeersPerChannel !== null || limits.maxActiveChannels !== null;
    const refusedLocally = limited ? this.localRefusal(appId, channel, member.peerId, limits) : undefined;
    const firstLocally = this.remember(appId, channel, member, connectionId);
    const result = await this.link.call((redis) => this.joinInRedis(redis, appId, channel, member, connectionId, limits));
    // Outage: other nodes' memberships are unknown, so the local view decides whom to announce and admit.
    const refused = result === UNAVAILABLE ? refusedLocally : result.refused;
    if (refused) {
      this.forget(appId, channel, member.peerId, connectionId);
      return { firstForPeer: false, refused };
    }
    if (result === UNAVAILABLE) return { firstForPeer: firstLocally };
    return result;
  }

  async leave(appId: string, channel: string, peerId: string, connectionId: string): Promise<{ lastForPeer: boolean }> {
    const lastLocally = this.forget(appId, channel, peerId, connectionId);
    const result = await this.link.call((redis) => this.leaveInRedis(redis, appId, channel, peerId, connectionId, JSON.stringify([appId, channel, peerId, connectionId])));
    if (result === UNAVAILABLE) return { lastForPeer: lastLocally };
    return { lastForPeer: result === 1 };
  }

  async activeChannelCount(appId: string): Promise<number> {
    const result = await this.link.call((redis) => redis.scard(this.keys.activeChannels(appId)));
    return result === UNAVAILABLE ? this.ownActiveChannels(appId) : result;
  }

  /** The app's channels with a peer on this node (a scan: only during an outage). */
  private ownActiveChannels(appId: string): number {
    let active = 0;
    for (const key of this.own.keys()) if (key.startsWith(`${appId}\u0000`)) active += 1;
    return active;
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
          // Already admitted here: a reconcile restores memberships, it never refuses them.
          pending.push(this.joinInRedis(redis, appId, channel, memberOf(peerId, entry.metadataJson), connectionId, NO_CHANNEL_LIMITS));
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
      const result = await link.script(redis, PRESENCE_LEAVE, joinKeys(keys, appId, channel), [peerId, connectionId, channel]);
      if (result === 1) left.push([appId, channel, peerId]);
    }),
  );
  await redis.del(indexKey);
  return left;
}
