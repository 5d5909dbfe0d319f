// POST /v1/tokens: an HS256 JWT for one peer (PROTOCOL §1), signed with the key's signing secret and
// naming the key in `kid`. Claims may only narrow what the key allows.
import { SignJWT } from "jose";
import { assertActionAllowed, assertChannelName, assertChannelPatternCovered } from "@/lib/channels/check-channel-access";
import { assertAppActive, type AuthenticatedKey } from "@/lib/keys/authenticate-secret-key";
import type { MintTokenRequest } from "./mint-token.types";

export async function mintToken(input: { key: AuthenticatedKey; request: MintTokenRequest; now?: Date }): Promise<{ token: string; expiresAt: number }> {
  const { key, request } = input;
  assertAppActive(key);
  request.channels?.forEach((channel, index) => {
    assertChannelName(channel, `channels.${index}`);
    assertChannelPatternCovered(key.channelPatterns, channel, `channels.${index}`);
  });
  request.permissions?.forEach((permission, index) => assertActionAllowed(key.actions, permission, `permissions.${index}`));

  const issuedAt = Math.floor((input.now ?? new Date()).getTime() / 1000);
  const expiresAt = issuedAt + request.expiresInSec;
  const claims: Record<string, unknown> = {};
  if (request.channels) claims.channels = request.channels;
  if (request.permissions) claims.permissions = [...new Set(request.permissions)];
  if (request.metadata) claims.metadata = request.metadata;
  if (request.peerMetadata) claims.peerMetadata = request.peerMetadata;
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", kid: key.keyId, typ: "JWT" })
    .setSubject(request.peerId)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(key.secret));
  return { token, expiresAt };
}
