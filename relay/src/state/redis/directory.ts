// The peer directory: which nodes hold a connection of a peer, so a direct send or a disconnect goes to
// those nodes only instead of asking every node. A node lists a peer when the peer's first connection
// on it opens (before its welcome is sent) and unlists it with the last; it indexes its own entries so
// any live node can remove a dead node's (reapDirectory), and pushes its local view again after an
// outage. An entry of a node that died but is not reaped yet costs one publish nobody hears.
import type { RedisClient, RedisLink } from "./link";
import type { RedisKeys } from "./keys";

function entryOf(appId: string, peerId: string): string {
  return JSON.stringify([appId, peerId]);
}

function parseEntry(text: string): [string, string] | null {
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === "string" && typeof parsed[1] === "string") return [parsed[0], parsed[1]];
  } catch {
    // An entry this version cannot read is left alone.
  }
  return null;
}

export class RedisPeerDirectory {
  /** This node's listed peers as index entries (the truth pushed after an outage). */
  private readonly own = new Set<string>();

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly nodeId: string,
  ) {
    link.onReconcile(() => this.reconcile());
  }

  private list(redis: RedisClient, appId: string, peerId: string): Promise<unknown> {
    return Promise.all([redis.sadd(this.keys.nodePeers(this.nodeId), entryOf(appId, peerId)), redis.sadd(this.keys.peer(appId, peerId), this.nodeId)]);
  }

  private unlist(redis: RedisClient, appId: string, peerId: string): Promise<unknown> {
    return Promise.all([redis.srem(this.keys.peer(appId, peerId), this.nodeId), redis.srem(this.keys.nodePeers(this.nodeId), entryOf(appId, peerId))]);
  }

  async arrived(appId: string, peerId: string): Promise<void> {
    this.own.add(entryOf(appId, peerId));
    this.link.localChanges += 1;
    await this.link.call((redis) => this.list(redis, appId, peerId));
  }

  async departed(appId: string, peerId: string): Promise<void> {
    if (!this.own.delete(entryOf(appId, peerId))) return;
    this.link.localChanges += 1;
    await this.link.call((redis) => this.unlist(redis, appId, peerId));
  }

  /** The nodes other than this one that list the peer. */
  async nodesOf(redis: RedisClient, appId: string, peerId: string): Promise<string[]> {
    const nodes = await redis.smembers(this.keys.peer(appId, peerId));
    return nodes.filter((nodeId) => nodeId !== this.nodeId);
  }

  private async reconcile(): Promise<void> {
    const redis = this.link.command;
    const indexed = await redis.smembers(this.keys.nodePeers(this.nodeId));
    const pending: Array<Promise<unknown>> = [];
    for (const text of this.own) {
      const entry = parseEntry(text);
      if (entry) pending.push(this.list(redis, ...entry));
    }
    for (const text of indexed) {
      const entry = parseEntry(text);
      if (entry && !this.own.has(text)) pending.push(this.unlist(redis, ...entry));
    }
    await Promise.all(pending);
  }
}

/** Removes a dead node's directory entries (idempotent). */
export async function reapDirectory(link: RedisLink, keys: RedisKeys, deadNodeId: string): Promise<void> {
  const redis = link.command;
  const indexKey = keys.nodePeers(deadNodeId);
  const entries = (await redis.smembers(indexKey)).map(parseEntry).filter((entry) => entry !== null);
  await Promise.all(entries.map(([appId, peerId]) => redis.srem(keys.peer(appId, peerId), deadNodeId)));
  await redis.del(indexKey);
}
