// Steady traffic for the tests and the soak benchmark that span time: clients publish at a fixed rate
// for a while and tally what the relay answered, so a test can compare what clients saw accepted and
// refused with the quota and with what the control plane recorded.
import { ErrorCode } from "../src/protocol";
import type { TestClient } from "./helpers";

export interface Tally {
  sent: number;
  accepted: number;
  refused: number;
  /** Answers other than ack and over_message_quota (token bucket, backend errors): should stay 0. */
  other: number;
}

/**
 * Every client publishes `ratePerSecond` messages a second, each with a requestId, for `durationMs`
 * and then on until `keepGoing` says enough (on a loaded machine timers fire late, so a test that must
 * cross N flushes says so instead of trusting the clock; at most 4 × `durationMs`), then waits until
 * every publish has been answered.
 */
export async function publishSteadily(
  clients: TestClient[],
  options: { ratePerSecond: number; durationMs: number; channel?: string; keepGoing?: () => boolean },
): Promise<Tally> {
  const tally: Tally = { sent: 0, accepted: 0, refused: 0, other: 0 };
  const intervalMs = 1000 / options.ratePerSecond;
  const answers: Array<Promise<void>> = [];
  const startedAtMs = Date.now();
  await Promise.all(
    clients.map(async (client, index) => {
      // Clients start spread over one interval so the relay sees a steady stream, not bursts.
      let nextAtMs = startedAtMs + (intervalMs * index) / clients.length;
      const running = () => {
        const elapsedMs = nextAtMs - startedAtMs;
        return elapsedMs < options.durationMs || (elapsedMs < 4 * options.durationMs && (options.keepGoing?.() ?? false));
      };
      while (running()) {
        const waitMs = nextAtMs - Date.now();
        if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
        nextAtMs += intervalMs;
        tally.sent += 1;
        answers.push(
          client.request({ type: "publish", channel: options.channel ?? "steady", data: { at: Date.now() } }, 30_000).then((answer) => {
            if (answer.type === "ack") tally.accepted += 1;
            else if (answer.code === ErrorCode.OverMessageQuota) tally.refused += 1;
            else tally.other += 1;
          }),
        );
      }
    }),
  );
  await Promise.all(answers);
  return tally;
}
