import { closeReason } from "@tollgate/relay/protocol";

/** "Connection lost (1006)": the protocol module's reason for a counted close code, then the code itself. */
export function closeCodeLabel(code: string | number): string {
  const reason = closeReason(Number(code));
  return reason ? `${reason[0]?.toUpperCase()}${reason.slice(1)} (${code})` : `Close code ${code}`;
}
