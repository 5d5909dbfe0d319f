// Key and pub/sub channel names under one prefix (see the layout in ./scripts.ts). Every key of one app
// carries the hash tag `{<app>}` and every key of one node `{node:<id>}`, so on Redis Cluster each
// script's keys live in one slot; the fleet's node registry is tagged `{fleet}`. Tests use a unique
// prefix per run so they share a Redis with everything else and clean up after themselves.
export class RedisKeys {
  constructor(readonly prefix: string) {}

  private app(appId: string): string {
    return `${this.prefix}{${appId}}`;
  }

  private node(nodeId: string): string {
    return `${this.prefix}{node:${nodeId}}`;
  }

  /** ZSET nodeId → liveness deadline (ms). */
  get nodes(): string {
    return `${this.prefix}{fleet}:nodes`;
  }

  /** SET of dead nodes being reaped (same slot as `nodes`, so a reap claims them atomically). */
  get reaping(): string {
    return `${this.prefix}{fleet}:reaping`;
  }

  lease(appId: string): string {
    return `${this.app(appId)}:lease`;
  }

  nodeLeaseApps(nodeId: string): string {
    return `${this.node(nodeId)}:lease-apps`;
  }

  nodePresence(nodeId: string): string {
    return `${this.node(nodeId)}:presence`;
  }

  /** SET of [app, peer] JSON this node registered in the peer directory (reaped when the node dies). */
  nodePeers(nodeId: string): string {
    return `${this.node(nodeId)}:peers`;
  }

  presence(appId: string, channel: string): string {
    return `${this.app(appId)}:pres:${channel}`;
  }

  presencePeers(appId: string, channel: string): string {
    return `${this.app(appId)}:prespeers:${channel}`;
  }

  /** STREAM of the channel's recent messages, entry ids `<offset>-0` (./history.ts). */
  history(appId: string, channel: string): string {
    return `${this.app(appId)}:hist:${channel}`;
  }

  /** HASH e → the channel stream's epoch, o → its latest offset. */
  historyMeta(appId: string, channel: string): string {
    return `${this.app(appId)}:histmeta:${channel}`;
  }

  /** SET of the app's channels with at least one present peer (its active channels, PROTOCOL §10). */
  activeChannels(appId: string): string {
    return `${this.app(appId)}:channels`;
  }

  messages(appId: string, periodStartUnix: number): string {
    return `${this.app(appId)}:msg:${periodStartUnix}`;
  }

  /** SET of the nodes holding a connection of the peer: the directory direct sends and disconnects route by. */
  peer(appId: string, peerId: string): string {
    return `${this.app(appId)}:peer:${peerId}`;
  }

  /** Pub/sub: the app's channel messages and presence, heard only by nodes with a subscriber of the app. */
  appTopic(appId: string): string {
    return `${this.app(appId)}:bus`;
  }

  /** Pub/sub: direct sends, disconnects and usage-report requests for one node, and the answers to its own. */
  inbox(nodeId: string): string {
    return `${this.node(nodeId)}:inbox`;
  }
}
