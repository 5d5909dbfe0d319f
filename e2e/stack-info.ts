// What the global setup hands to the specs: where the stack runs and who can sign in. Written to a JSON
// file named by E2E_STATE_FILE (the workers inherit the setup's environment).
import { readFileSync } from "node:fs";

export interface Credentials {
  email: string;
  password: string;
}

export interface StackInfo {
  webUrl: string;
  /** ws://127.0.0.1:<port>: the SDK appends /v1 itself. */
  relayUrl: string;
  /**
   * How long a limit, key or status change may take to be enforced by the relay. The suite runs the relay
   * with the production 60 s poll, so only the control plane's change notice meets this.
   */
  changeDeadlineMs: number;
  /** Where every mail the stack sends lands, one JSON file each (tests/helpers/smtp-sink.ts `mailFromDrop`). */
  mailDir: string;
  admin: Credentials & { storageState: string };
  customer: Credentials & { storageState: string };
}

export function readStackInfo(): StackInfo {
  const file = process.env.E2E_STATE_FILE;
  if (!file) throw new Error("E2E_STATE_FILE is not set: run the specs through playwright.config.ts (its global setup starts the stack)");
  return JSON.parse(readFileSync(file, "utf8")) as StackInfo;
}
