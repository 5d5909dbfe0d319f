// What bench/relay-neighbours.ts and its attacker process (bench/neighbours-attacker.ts) agree on:
// the attacks, the attacking tenant's app and keys, and the messages they exchange over IPC.
import { PlanDefaults } from "../relay/src/protocol";
import type { SnapshotApp } from "../relay/src/protocol";
import { appFixture, publishableKey, secretKey } from "../relay/test/helpers";
import type { SecretKeyFixture } from "../relay/test/helpers";

/** Each attack, in the order of the table; the comments are the rows of the benchmark. */
export const ATTACKS = [
  /** Publishable key: wildcard subscriptions `**a**a…**b`, publishes to channels of `a`s. */
  "wildcard-publish",
  /** Tenant: a key whose channel pattern is `**a**a…**b`, subscribing to channels of `a`s. */
  "pattern-subscribe",
  /** Publishable key: `ping` frames as fast as possible over 4 connections. */
  "ping-flood",
  /** Publishable key: subscribe/unsubscribe pairs on a channel 20 presence watchers share. */
  "presence-churn",
  /** Tenant: 1,000 connections with the largest metadata and 100 subscriptions of 256-byte names. */
  "heavy-connections",
  /** Anyone: TCP connections with a request that never ends, from 80 loopback addresses. */
  "half-open",
  /** Tenant: 1,500 peers with 4 KB peerMetadata in one channel, 30 presence subscribes, peer listings. */
  "big-roster",
  /** Tenant: 500 connections of one peerId, 300 direct sends of 60 KB to it. */
  "shared-peer-id",
] as const;
export type AttackName = (typeof ATTACKS)[number];

/** Backtracking matchers take exponential time on it against a long run of `a`s (issue 22). */
export const ADVERSARIAL_PATTERN = "**a**a**a**a**a**a**a**a**b";

export interface AttackerKeys {
  publishableKeyId: string;
  secretKey: SecretKeyFixture;
  /** A secret key whose only channel pattern is ADVERSARIAL_PATTERN. */
  adversarialKey: SecretKeyFixture;
}

/**
 * The attacking tenant: a large plan (20,000 connections, no practical message quota) with the default
 * per-connection token bucket and per-address connect rate, so only the relay's own defences bound it.
 */
export function attackerApp(): { app: SnapshotApp; keys: AttackerKeys } {
  const publishable = publishableKey();
  const secret = secretKey();
  const adversarial = secretKey({ channelPatterns: [ADVERSARIAL_PATTERN] });
  const app = appFixture({
    appId: "app_neighbour_attacker",
    keys: [publishable, secret, adversarial],
    limits: {
      maxConcurrentConnections: 20_000,
      maxMessagesPerPeriod: 1_000_000_000,
      tokenBucketRefillPerSecond: PlanDefaults.tokenBucketRefillPerSecond,
      tokenBucketBurst: PlanDefaults.tokenBucketBurst,
      connectAttemptsPerIpPerMinute: PlanDefaults.connectAttemptsPerIpPerMinute,
    },
  });
  return { app, keys: { publishableKeyId: publishable.keyId, secretKey: secret, adversarialKey: adversarial } };
}

export interface AttackPlan {
  attack: AttackName;
  /** ws://127.0.0.1:<port> */
  wsUrl: string;
  /** http://127.0.0.1:<port> */
  httpUrl: string;
  port: number;
  appId: string;
  keys: AttackerKeys;
  /** The relay's internal-API secret, as the web app holds it (for the peer listing of big-roster). */
  relaySecret: string;
  /** Most sockets half-open may hold: the process's open-file limit, less a margin. */
  halfOpenTarget: number;
}

/** What the attacker experienced: counts by outcome ("connected", "error rate_limited", "close 4011 frame_flood", …). */
export type Tally = Record<string, number>;

export interface AttackerReport {
  tally: Tally;
  notes: string[];
}

export type AttackerCommand = { cmd: "start"; plan: AttackPlan } | { cmd: "stop" };
/**
 * `ready`: the process listens for commands. `set-up`: the attack's opening (connections,
 * subscriptions) is complete and it is at full strength. `report`: the answer to `stop`.
 */
export type AttackerEvent = { event: "ready" } | { event: "set-up" } | { event: "report"; report: AttackerReport };
