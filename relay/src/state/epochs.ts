// A channel stream's epoch (HistoryStore): a short random name, new whenever a stream starts afresh.
import { randomBytes } from "node:crypto";

export function newEpoch(): string {
  return randomBytes(6).toString("base64url");
}
