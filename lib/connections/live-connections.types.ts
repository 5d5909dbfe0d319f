import type { ClosedConnection, LiveConnection } from "@tollgate/relay/protocol";

/** GET /api/apps/:appId/connections */
export interface LiveConnectionsView {
  /** When the relays were asked. */
  measuredAt: string;
  /** Open connections across the nodes that answered (more than `connections` lists when a node has more than a page). */
  open: number;
  /** false: some node did not answer in time, its connections are missing. */
  allNodesAnswered: boolean;
  nodes: { relayId: string; open: number; listed: number }[];
  /** Oldest first. */
  connections: (LiveConnection & { relayId: string })[];
  /** Newest first; `explanation` is the close code's meaning (null for a code Tollgate does not name). */
  recentlyClosed: (ClosedConnection & { relayId: string; explanation: string | null })[];
}
