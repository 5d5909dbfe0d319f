// "Send test" is limited per endpoint: a test event is a real delivery that a tenant can ask for at
// will, and each one to an endpoint that never answers holds a delivery slot for the whole webhook
// timeout. A person checking an endpoint needs a few, not a queue of them.
import { DomainError } from "@/lib/errors";
import { createRateLimiter } from "@/lib/http/rate-limiter";

/** Test events an endpoint may be sent at once, then one every TEST_EVENT_REFILL_SECONDS. */
export const TEST_EVENT_BURST = 5;
export const TEST_EVENT_REFILL_SECONDS = 10;

const testEventsByEndpoint = createRateLimiter("webhook-test-events", { burst: TEST_EVENT_BURST, refillPerSecond: 1 / TEST_EVENT_REFILL_SECONDS });

/** Spends one test event of this endpoint's allowance; throws rate_limited (with Retry-After) when there is none. */
export async function spendTestEventAllowance(endpointId: string): Promise<void> {
  const waitSec = await testEventsByEndpoint.take(endpointId);
  if (waitSec > 0) {
    throw new DomainError(
      "rate_limited",
      `An endpoint gets at most ${TEST_EVENT_BURST} test events at once, then one every ${TEST_EVENT_REFILL_SECONDS} s: try again in ${waitSec} s`,
      { retryAfterSec: waitSec },
    );
  }
}
