import { ACTIONS, Limits } from "@tollgate/relay/protocol";
import { z } from "zod";

function serializedBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}

export const mintTokenRequestSchema = z
  .object({
    peerId: z
      .string()
      .min(1, "peerId is required")
      .max(Limits.maxPeerIdBytes, `At most ${Limits.maxPeerIdBytes} characters`)
      .regex(/^[\x20-\x7e]+$/, "Printable ASCII only"),
    channels: z.array(z.string()).max(Limits.maxTokenChannels, `At most ${Limits.maxTokenChannels} channels`).optional(),
    permissions: z.array(z.enum(ACTIONS)).max(Limits.maxTokenPermissions, `At most ${Limits.maxTokenPermissions} permissions`).optional(),
    expiresInSec: z
      .number()
      .int()
      .min(1)
      .max(Limits.maxTokenLifetimeSec, `At most ${Limits.maxTokenLifetimeSec} seconds`)
      .default(Limits.defaultTokenLifetimeSec),
    metadata: z
      .record(z.string(), z.unknown())
      .refine((value) => serializedBytes(value) <= Limits.maxMetadataBytes, `At most ${Limits.maxMetadataBytes} bytes serialized`)
      .optional(),
    peerMetadata: z
      .record(z.string(), z.unknown())
      .refine((value) => serializedBytes(value) <= Limits.maxPeerMetadataBytes, `At most ${Limits.maxPeerMetadataBytes} bytes serialized`)
      .optional(),
  });
export type MintTokenRequest = z.infer<typeof mintTokenRequestSchema>;

export const mintTokenResponseSchema = z
  .object({
    token: z.string().describe("HS256 JWT; header {alg: HS256, kid: <sk_id_…>, typ: JWT}"),
    expiresAt: z.number().int().describe("Unix seconds"),
  });
