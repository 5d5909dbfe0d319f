// Key and pub/sub channel names under one prefix (see the layout in ./scripts.ts). Tests use a unique
// prefix per run so they share a Redis with everything else and clean up after themselves.
export class RedisKeys {
  constructor(readonly prefix: string) {}

  get nodes(): string {
    return `${this.prefix}nodes`;
  }

  get leasePrefix(): string {
    return `${this.prefix}lease:`;
  }

  lease(appId: string): string {
    return `${this.prefix}lease:${appId}`;
  }

  nodeLeaseApps(nodeId: string): string {
    return `${this.prefix}node:${nodeId}:lease-apps`;
  }

  nodePresence(nodeId: string): string {
    return `${this.prefix}node:${nodeId}:presence`;
  }

  messages(appId: string, periodStartUnix: number): string {
    return `${this.prefix}msg:${appId}:${periodStartUnix}`;
  }

  /** Pub/sub: channel messages, presence, direct sends, disconnects and usage-report requests for every node. */
  get bus(): string {
    return `${this.prefix}bus`;
  }

  /** Pub/sub: answers to one node's direct sends, disconnects and usage-report requests. */
  replies(nodeId: string): string {
    return `${this.prefix}reply:${nodeId}`;
  }
}
