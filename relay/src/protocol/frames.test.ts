import { describe, expect, it } from "vitest";
import { CloseCode } from "./codes";
import { Disconnect, TERMINAL_CLOSE_CODES } from "./disconnects";
import { ServerFrame } from "./frames";

describe("server frame builders", () => {
  it("spell the PROTOCOL §2 frames, escaping every string", () => {
    const tricky = 'a"b\\c\u0001';
    expect(JSON.parse(ServerFrame.ack(tricky))).toEqual({ type: "ack", requestId: tricky });
    expect(JSON.parse(ServerFrame.error("invalid_channel", tricky, undefined))).toEqual({ type: "error", code: "invalid_channel", message: tricky });
    expect(JSON.parse(ServerFrame.error("x", "m", "r1"))).toEqual({ type: "error", code: "x", message: "m", requestId: "r1" });
    expect(JSON.parse(ServerFrame.pong())).toEqual({ type: "pong" });
    expect(JSON.parse(ServerFrame.goingAway(2000))).toEqual({ type: "going_away", retryAfterMs: 2000 });
    expect(JSON.parse(ServerFrame.welcome({ peerId: tricky, expiresAt: null, serverTimeUnix: 5 }))).toEqual({
      type: "welcome",
      peerId: tricky,
      expiresAt: null,
      serverTime: 5,
      maxMessageSize: 65536,
    });
    expect(JSON.parse(ServerFrame.welcome({ peerId: "p", expiresAt: 1_700_000_000, serverTimeUnix: 5, metadataJson: JSON.stringify({ note: tricky, n: [1] }) }))).toEqual({
      type: "welcome",
      peerId: "p",
      expiresAt: 1_700_000_000,
      serverTime: 5,
      maxMessageSize: 65536,
      metadata: { note: tricky, n: [1] },
    });
    expect(JSON.parse(ServerFrame.presence("c", [{ peerId: "p", metadataJson: '{"a":1}' }], []))).toEqual({ type: "presence", channel: "c", joined: [{ peerId: "p", metadata: { a: 1 } }], left: [] });
    expect(JSON.parse(ServerFrame.presence(tricky, [{ peerId: tricky }, { peerId: "q", metadataJson: "{}" }], [{ peerId: tricky }, { peerId: "r" }]))).toEqual({
      type: "presence",
      channel: tricky,
      joined: [{ peerId: tricky }, { peerId: "q", metadata: {} }],
      left: [{ peerId: tricky }, { peerId: "r" }],
    });
  });

  it("build fan-out frames from pre-serialized data and metadata", () => {
    const channel = 'chan/"quoted"\\';
    expect(JSON.parse(ServerFrame.message(channel, "me", '{"n":[1,null]}', null).toString())).toEqual({ type: "message", channel, from: "me", data: { n: [1, null] } });
    expect(JSON.parse(ServerFrame.message("c", "me", "null", '{"role":"x"}').toString())).toEqual({ type: "message", channel: "c", from: "me", data: null, fromMetadata: { role: "x" } });
    expect(JSON.parse(ServerFrame.direct("me", '"hi"', null).toString())).toEqual({ type: "direct", from: "me", data: "hi" });
  });
});

describe("disconnects", () => {
  it("tell clients to stop only for a bad credential, a suspended app and a backend disconnect", () => {
    expect([...TERMINAL_CLOSE_CODES].sort()).toEqual([CloseCode.InvalidToken, CloseCode.AppSuspended, CloseCode.AdminDisconnect]);
    expect(Disconnect.TokenExpired).toEqual({ code: CloseCode.TokenExpired, reason: "token_expired", reconnect: true });
  });

  it("fit every reason in a close frame (at most 123 bytes)", () => {
    for (const disconnect of Object.values(Disconnect)) expect(Buffer.byteLength(disconnect.reason)).toBeLessThanOrEqual(123);
  });
});
