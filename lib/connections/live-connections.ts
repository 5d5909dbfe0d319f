// The dashboard's connection inspector: every relay node's open connections of an app (a bounded page
// per node) and its recently closed ones with why they closed, merged into one view; and a team owner's
// kick, which closes every connection of a peer on every node with 4020 (`disconnected_by_owner`).
import { closeReason, type ConnectionsQuery } from "@tollgate/relay/protocol";
import { isValidPeerId } from "@tollgate/relay/validation";
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { type RelayClient, RelayUnknownAppError } from "@/lib/relay/relay-client";
import type { LiveConnectionsView } from "./live-connections.types";

/** Recent closes shown across all nodes (each node keeps its last 20 of the app). */
const RECENT_CLOSES_SHOWN = 50;

export async function listLiveConnections(relay: RelayClient, input: { appId: string; query: ConnectionsQuery; now?: Date }): Promise<LiveConnectionsView> {
  const measuredAt = (input.now ?? new Date()).toISOString();
  let answer;
  try {
    answer = await relay.connections(input.appId, input.query);
  } catch (error) {
    // A relay that has not loaded the app yet has nothing of it open.
    if (error instanceof RelayUnknownAppError) return { measuredAt, open: 0, allNodesAnswered: true, nodes: [], connections: [], recentlyClosed: [] };
    throw error;
  }
  const connections = answer.nodes
    .flatMap((node) => node.connections.map((connection) => ({ ...connection, relayId: node.relayId })))
    .sort((a, b) => a.connectedAtUnixMs - b.connectedAtUnixMs);
  const recentlyClosed = answer.nodes
    .flatMap((node) => node.recentlyClosed.map((closed) => ({ ...closed, relayId: node.relayId, explanation: closeReason(closed.code) })))
    .sort((a, b) => b.closedAtUnixMs - a.closedAtUnixMs)
    .slice(0, RECENT_CLOSES_SHOWN);
  return {
    measuredAt,
    open: answer.nodes.reduce((sum, node) => sum + node.open, 0),
    allNodesAnswered: answer.allNodesAnswered,
    nodes: answer.nodes.map((node) => ({ relayId: node.relayId, open: node.open, listed: node.connections.length })),
    connections,
    recentlyClosed,
  };
}

/** Closes every connection of the peer on every node (0 when it is offline); recorded in the audit log. */
export async function kickPeer(db: Db, relay: RelayClient, input: { appId: string; peerId: string; actor: Actor }): Promise<{ peerId: string; closed: number }> {
  if (!isValidPeerId(input.peerId)) throw new DomainError("invalid_request", "A peerId is 1–128 printable ASCII characters", { field: "peerId" });
  let closed = 0;
  try {
    ({ closed } = await relay.disconnectPeer(input.appId, input.peerId, "owner"));
  } catch (error) {
    if (!(error instanceof RelayUnknownAppError)) throw error;
  }
  await db.$transaction((tx) => writeAuditLog(tx, { actor: input.actor, action: "app.peer_disconnect", targetType: "app", targetId: input.appId, after: { peerId: input.peerId, closed } }));
  return { peerId: input.peerId, closed };
}
