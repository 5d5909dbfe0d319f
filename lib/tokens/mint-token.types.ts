import { ACTIONS, Limits } from "@tollgate/relay/protocol";
import { z } from "zod";
import { channelPattern } from "@/lib/keys/key.types";
import { responseText, text } from "@/lib/validation/text";

function serializedBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}

/** The relay's peerId rule (PROTOCOL §1): 1–128 bytes of printable ASCII. Token `sub` and publish `from`. */
export const peerIdSchema = text()
  .min(1, "A peerId is required")
  .max(Limits.maxPeerIdBytes, `At most ${Limits.maxPeerIdBytes} characters`)
  .regex(/^[\x20-\x7e]+$/, "Printable ASCII only");

/** The relay's 4 KB rule for the metadata shown to other peers (token claim and publish field alike). */
export const peerMetadataSchema = z
  .record(text().max(Limits.maxPeerMetadataBytes), z.unknown())
  .refine((value) => serializedBytes(value) <= Limits.maxPeerMetadataBytes, `At most ${Limits.maxPeerMetadataBytes} bytes serialized`)
  .describe(`Shown to other peers; at most ${Limits.maxPeerMetadataBytes} bytes as JSON`);

export const mintTokenRequestSchema = z
  .object({
    peerId: peerIdSchema,
    channels: z.array(channelPattern).max(Limits.maxTokenChannels, `At most ${Limits.maxTokenChannels} channels`).optional(),
    permissions: z.array(z.enum(ACTIONS)).max(Limits.maxTokenPermissions, `At most ${Limits.maxTokenPermissions} permissions`).optional(),
    expiresInSec: z
      .number()
      .int()
      .min(1)
      .max(Limits.maxTokenLifetimeSec, `At most ${Limits.maxTokenLifetimeSec} seconds`)
      .default(Limits.defaultTokenLifetimeSec),
    metadata: z
      .record(text().max(Limits.maxMetadataBytes), z.unknown())
      .refine((value) => serializedBytes(value) <= Limits.maxMetadataBytes, `At most ${Limits.maxMetadataBytes} bytes serialized`)
      .describe(`At most ${Limits.maxMetadataBytes} bytes as JSON`)
      .optional(),
    peerMetadata: peerMetadataSchema.optional(),
  });
export type MintTokenRequest = z.infer<typeof mintTokenRequestSchema>;

export const mintTokenResponseSchema = z
  .object({
    token: responseText().describe("HS256 JWT; header {alg: HS256, kid: <sk_id_…>, typ: JWT}"),
    expiresAt: z.number().int().describe("Unix seconds"),
  });
