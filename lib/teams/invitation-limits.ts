// How many invitations a tenant may issue (and so how much mail it can make us send): a burst, then a
// rate, like password-reset links. Counted whether or not SMTP is configured, so a tenant finds the same
// limits on every server. Numbers no real team meets: they only stop a script mailing strangers from our domain.
import { DomainError } from "@/lib/errors";
import { createRateLimiter, type TokenBucketRule } from "@/lib/http/rate-limiter";

/** Invitations and resends per tenant: 20 at once, then one a minute. */
export const INVITATIONS_PER_TENANT: TokenBucketRule = { burst: 20, refillPerSecond: 1 / 60 };
/**
 * Invitations and resends to one email address, whichever tenant sends them: 3 at once, then one an
 * hour, so no inbox can be flooded, also not by someone creating many teams.
 */
export const INVITATIONS_PER_INVITEE: TokenBucketRule = { burst: 3, refillPerSecond: 1 / 3600 };

const perTenant = createRateLimiter("invitations-per-tenant", INVITATIONS_PER_TENANT);
const perInvitee = createRateLimiter("invitations-per-invitee", INVITATIONS_PER_INVITEE);

function inAWhile(waitSec: number): string {
  return waitSec < 60 ? `${waitSec} s` : `${Math.ceil(waitSec / 60)} min`;
}

/** Spends one invitation of the tenant and, for an emailed one, of its address; throws rate_limited past either. */
export async function takeInvitationAllowance(input: { tenantId: string; email: string | null }): Promise<void> {
  const tenantWaitSec = await perTenant.take(input.tenantId);
  if (tenantWaitSec > 0) {
    throw new DomainError("rate_limited", `This team has sent too many invitations: try again in ${inAWhile(tenantWaitSec)}.`, { retryAfterSec: tenantWaitSec });
  }
  if (!input.email) return;
  const inviteeWaitSec = await perInvitee.take(input.email);
  if (inviteeWaitSec > 0) {
    throw new DomainError("rate_limited", `${input.email} was sent too many invitations: try again in ${inAWhile(inviteeWaitSec)}.`, { retryAfterSec: inviteeWaitSec });
  }
}
