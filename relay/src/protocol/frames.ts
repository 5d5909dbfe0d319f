// Frame shapes of the wire protocol (PROTOCOL §2): the client frames the relay accepts, typed after
// their shape is checked, and builders for every server frame. Fan-out frames (`message`, `direct`)
// are built from already-serialized parts, so a payload is serialized once per fan-out, not per
// recipient; the builders are the only place a server frame is spelled. Token metadata arrives as
// JSON text serialized once at connect (a parsed object can cost many times its bytes), and is
// spliced into frames as it is.
import type { StreamPosition } from "./history";
import { Limits } from "./limits";

export const ClientFrameType = {
  Subscribe: "subscribe",
  Unsubscribe: "unsubscribe",
  Publish: "publish",
  Send: "send",
  Ping: "ping",
} as const;
export type ClientFrameType = (typeof ClientFrameType)[keyof typeof ClientFrameType];

export const CLIENT_FRAME_TYPES: readonly ClientFrameType[] = Object.values(ClientFrameType);

export function isClientFrameType(type: string): type is ClientFrameType {
  return (CLIENT_FRAME_TYPES as readonly string[]).includes(type);
}

/** Fields every client frame may carry. `channel` is checked by the channel rules, not by the shape. */
interface FrameBase {
  requestId?: string;
}
/** What a subscribe asks of the channel's history: the messages after a position, or the newest `count`. */
export type HistoryRequest = { since: StreamPosition } | { rewind: number };

export interface SubscribeFrame extends FrameBase {
  type: "subscribe";
  channel: unknown;
  includeSenderMetadata: boolean;
  /** From the frame's `since` or `rewind` (shape already checked). */
  history?: HistoryRequest;
}
export interface UnsubscribeFrame extends FrameBase {
  type: "unsubscribe";
  channel: unknown;
}
export interface PublishFrame extends FrameBase {
  type: "publish";
  channel: unknown;
  /** Any JSON value, `null` included; a publish without `data` fails its shape check. */
  data: unknown;
}
export interface SendFrame extends FrameBase {
  type: "send";
  /** A valid peer id (checked with the shape). */
  to: string;
  data: unknown;
}
export interface PingFrame extends FrameBase {
  type: "ping";
}
export type ClientFrame = SubscribeFrame | UnsubscribeFrame | PublishFrame | SendFrame | PingFrame;
export type ClientFrameOf<T extends ClientFrameType> = Extract<ClientFrame, { type: T }>;

/** A member of a `presence` frame; `metadataJson` is the JSON text of its metadata object. */
export interface PresenceMember {
  peerId: string;
  metadataJson?: string;
}

/**
 * Tollgate's addition to `presence` frames that carry a subscriber's roster: page numbers count from 1
 * and `last` is true on the final page (an empty channel's roster is one empty page, marked last).
 */
export interface RosterPageMarker {
  page: number;
  last: boolean;
}

export const ServerFrameType = {
  Welcome: "welcome",
  Ack: "ack",
  Error: "error",
  Message: "message",
  Direct: "direct",
  Presence: "presence",
  GoingAway: "going_away",
  Pong: "pong",
} as const;
export type ServerFrameType = (typeof ServerFrameType)[keyof typeof ServerFrameType];

export interface WelcomeFields {
  peerId: string;
  expiresAt: number | null;
  serverTimeUnix: number;
  /** The token's `metadata` claim as JSON text. */
  metadataJson?: string;
}

/** `[{"peerId":…,"metadata":…},…]`: presence members as a JSON array, their metadata spliced in as is. */
export function presenceMembersJson(members: readonly PresenceMember[]): string {
  let text = "[";
  for (const member of members) {
    if (text.length > 1) text += ",";
    const metadata = member.metadataJson === undefined ? "" : `,"metadata":${member.metadataJson}`;
    text += `{"peerId":${JSON.stringify(member.peerId)}${metadata}}`;
  }
  return `${text}]`;
}

/** Server frames as JSON text; `data` and metadata come pre-serialized. */
export const ServerFrame = {
  welcome(fields: WelcomeFields): string {
    const metadata = fields.metadataJson === undefined ? "" : `,"metadata":${fields.metadataJson}`;
    return `{"type":"welcome","peerId":${JSON.stringify(fields.peerId)},"expiresAt":${JSON.stringify(fields.expiresAt)},"serverTime":${fields.serverTimeUnix},"maxMessageSize":${Limits.maxInboundFrameBytes}${metadata}}`;
  },
  ack(requestId: string): string {
    return `{"type":"ack","requestId":${JSON.stringify(requestId)}}`;
  },
  /**
   * The ack of a subscribe that asked for history (`since` or `rewind`), sent even without a requestId:
   * whether every missed message was replayed, and where the stream stands (absent when it has none).
   */
  historyAck(requestId: string | undefined, recovered: boolean, position: StreamPosition | null): string {
    const correlated = requestId === undefined ? "" : `"requestId":${JSON.stringify(requestId)},`;
    const stream = position === null ? "" : `,"offset":${position.offset},"epoch":${JSON.stringify(position.epoch)}`;
    return `{"type":"ack",${correlated}"recovered":${recovered}${stream}}`;
  },
  error(code: string, message: string, requestId: string | undefined): string {
    const correlated = requestId === undefined ? "" : `,"requestId":${JSON.stringify(requestId)}`;
    return `{"type":"error","code":${JSON.stringify(code)},"message":${JSON.stringify(message)}${correlated}}`;
  },
  pong(): string {
    return '{"type":"pong"}';
  },
  goingAway(retryAfterMs: number): string {
    return `{"type":"going_away","retryAfterMs":${JSON.stringify(retryAfterMs)}}`;
  },
  /** `rosterPage` marks a page of a subscriber's roster; live joins and leaves carry none. */
  presence(channel: string, joined: readonly PresenceMember[], left: readonly { peerId: string }[], rosterPage?: RosterPageMarker): string {
    const leftJson = `[${left.map((member) => `{"peerId":${JSON.stringify(member.peerId)}}`).join(",")}]`;
    const roster = rosterPage === undefined ? "" : `,"roster":{"page":${rosterPage.page},"last":${rosterPage.last}}`;
    return `{"type":"presence","channel":${JSON.stringify(channel)}${roster},"joined":${presenceMembersJson(joined)},"left":${leftJson}}`;
  },
  /**
   * `dataJson` and `fromMetadataJson` are JSON text already; null leaves `fromMetadata` out. `position`
   * is where the channel's history keeps the message (history on), sent as `offset` and `epoch`.
   */
  message(channel: string, fromPeerId: string, dataJson: string, fromMetadataJson: string | null, position?: StreamPosition): Buffer {
    const metadata = fromMetadataJson === null ? "" : `,"fromMetadata":${fromMetadataJson}`;
    const stream = position === undefined ? "" : `,"offset":${position.offset},"epoch":${JSON.stringify(position.epoch)}`;
    return Buffer.from(`{"type":"message","channel":${JSON.stringify(channel)},"from":${JSON.stringify(fromPeerId)},"data":${dataJson}${metadata}${stream}}`);
  },
  direct(fromPeerId: string, dataJson: string, fromMetadataJson: string | null): Buffer {
    const metadata = fromMetadataJson === null ? "" : `,"fromMetadata":${fromMetadataJson}`;
    return Buffer.from(`{"type":"direct","from":${JSON.stringify(fromPeerId)},"data":${dataJson}${metadata}}`);
  },
} as const;
