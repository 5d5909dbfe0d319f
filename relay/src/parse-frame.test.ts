import { describe, expect, it } from "vitest";
import { parseClientFrame } from "./parse-frame";
import { ErrorCode, Limits } from "./protocol";

describe("parseClientFrame", () => {
  it.each([
    ["not JSON", "{", ErrorCode.MalformedMessage, "malformed"],
    ["an array", "[1]", ErrorCode.MalformedMessage, "malformed"],
    ["no type", '{"channel":"c"}', ErrorCode.MalformedMessage, "malformed"],
    ["an empty requestId", '{"type":"ping","requestId":""}', ErrorCode.MalformedMessage, "malformed"],
    ["a long requestId", JSON.stringify({ type: "ping", requestId: "x".repeat(Limits.maxRequestIdChars + 1) }), ErrorCode.MalformedMessage, "malformed"],
    ["an unknown type", '{"type":"shout","requestId":"r"}', ErrorCode.UnknownType, "unknown"],
    ["a publish without data", '{"type":"publish","channel":"c","requestId":"r"}', ErrorCode.MissingData, "publish"],
    ["a send without data", '{"type":"send","to":"bob","requestId":"r"}', ErrorCode.MissingData, "send"],
    ["a send to an invalid peer", '{"type":"send","to":"","data":1,"requestId":"r"}', ErrorCode.InvalidPeerId, "send"],
  ])("refuses %s", (_name, text, code, counted) => {
    const result = parseClientFrame(text);
    expect(result).toMatchObject({ ok: false, code, counted });
    // Only a frame whose requestId passed its own check is answered correlated.
    if (!result.ok) expect(result.requestId).toBe(code === ErrorCode.MalformedMessage ? undefined : "r");
  });

  it("types the accepted frames, keeping null data and defaulting includeSenderMetadata", () => {
    expect(parseClientFrame('{"type":"publish","channel":"c","data":null}')).toEqual({ ok: true, frame: { type: "publish", channel: "c", data: null } });
    expect(parseClientFrame('{"type":"subscribe","channel":"c","requestId":"r1"}')).toEqual({
      ok: true,
      frame: { type: "subscribe", channel: "c", includeSenderMetadata: false, requestId: "r1" },
    });
    expect(parseClientFrame('{"type":"send","to":"bob","data":{"a":1},"extra":true}')).toEqual({ ok: true, frame: { type: "send", to: "bob", data: { a: 1 } } });
  });

  it("leaves the channel to the channel rules", () => {
    expect(parseClientFrame('{"type":"publish","channel":42,"data":1}')).toMatchObject({ ok: true, frame: { channel: 42 } });
  });
});
