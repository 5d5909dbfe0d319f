// Frame shapes of the wire protocol (PROTOCOL §2): the client frames the relay accepts, typed after
// their shape is checked, and builders for every server frame. Fan-out frames (`message`, `direct`)
// are built from already-serialized parts, so a payload is serialized once per fan-out, not per
// recipient; the builders are the only place a server frame is spelled.
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
export interface SubscribeFrame extends FrameBase {
  type: "subscribe";
  channel: unknown;
  includeSenderMetadata: boolean;
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

export interface PresenceMember {
  peerId: string;
  metadata?: Record<string, unknown>;
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
  metadata?: Record<string, unknown>;
}

/** Server frames as JSON text; `message` and `direct` take their `data` (and metadata) pre-serialized. */
export const ServerFrame = {
  welcome(fields: WelcomeFields): string {
    const metadata = fields.metadata ? `,"metadata":${JSON.stringify(fields.metadata)}` : "";
    return `{"type":"welcome","peerId":${JSON.stringify(fields.peerId)},"expiresAt":${JSON.stringify(fields.expiresAt)},"serverTime":${fields.serverTimeUnix},"maxMessageSize":${Limits.maxInboundFrameBytes}${metadata}}`;
  },
  ack(requestId: string): string {
    return `{"type":"ack","requestId":${JSON.stringify(requestId)}}`;
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
  presence(channel: string, joined: readonly PresenceMember[], left: readonly { peerId: string }[]): string {
    return JSON.stringify({ type: ServerFrameType.Presence, channel, joined, left });
  },
  /** `dataJson` and `fromMetadataJson` are JSON text already; null leaves `fromMetadata` out. */
  message(channel: string, fromPeerId: string, dataJson: string, fromMetadataJson: string | null): Buffer {
    const metadata = fromMetadataJson === null ? "" : `,"fromMetadata":${fromMetadataJson}`;
    return Buffer.from(`{"type":"message","channel":${JSON.stringify(channel)},"from":${JSON.stringify(fromPeerId)},"data":${dataJson}${metadata}}`);
  },
  direct(fromPeerId: string, dataJson: string, fromMetadataJson: string | null): Buffer {
    const metadata = fromMetadataJson === null ? "" : `,"fromMetadata":${fromMetadataJson}`;
    return Buffer.from(`{"type":"direct","from":${JSON.stringify(fromPeerId)},"data":${dataJson}${metadata}}`);
  },
} as const;
