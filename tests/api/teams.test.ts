// Teams, roles and sessions through the real handlers (mocked session only), with mail going over real
// SMTP to a local sink: what each role may do, invitations by mail and by link, member changes that
// always leave an owner (also under concurrent requests), and session versions that end old sessions.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as acceptRoute } from "@/app/api/invitations/accept/route";
import { POST as signUpRoute } from "@/app/api/auth/sign-up/route";
import { POST as signOutEverywhereRoute } from "@/app/api/account/sign-out-everywhere/route";
import { POST as changePasswordRoute } from "@/app/api/account/password/route";
import { PATCH as patchAccountRoute } from "@/app/api/account/route";
import { PUT as activeTenantRoute } from "@/app/api/account/active-tenant/route";
import { PATCH as adminUserRoute } from "@/app/api/admin/users/[userId]/route";
import { DELETE as deleteAppRoute, GET as getAppRoute, PATCH as patchAppRoute } from "@/app/api/apps/[appId]/route";
import { PUT as autoRechargeRoute } from "@/app/api/apps/[appId]/billing/auto-recharge/route";
import { GET as billingRoute } from "@/app/api/apps/[appId]/billing/route";
import { PUT as spendControlsRoute } from "@/app/api/apps/[appId]/billing/spend-controls/route";
import { POST as topUpRoute } from "@/app/api/apps/[appId]/billing/top-up/route";
import { DELETE as revokeKeyRoute } from "@/app/api/apps/[appId]/keys/[keyId]/route";
import { GET as listKeysRoute, POST as createKeyRoute } from "@/app/api/apps/[appId]/keys/route";
import { GET as usageRoute } from "@/app/api/apps/[appId]/usage/route";
import { GET as listAppsRoute, POST as createAppRoute } from "@/app/api/apps/route";
import { POST as resendRoute } from "@/app/api/tenants/[tenantId]/invitations/[invitationId]/resend/route";
import { DELETE as revokeInvitationRoute } from "@/app/api/tenants/[tenantId]/invitations/[invitationId]/route";
import { POST as inviteRoute } from "@/app/api/tenants/[tenantId]/invitations/route";
import { POST as leaveRoute } from "@/app/api/tenants/[tenantId]/leave/route";
import { DELETE as removeMemberRoute, PATCH as changeRoleRoute } from "@/app/api/tenants/[tenantId]/members/[userId]/route";
import { GET as teamRoute } from "@/app/api/tenants/[tenantId]/route";
import { POST as transferRoute } from "@/app/api/tenants/[tenantId]/transfer/route";
import type { AppView } from "@/lib/apps/app.types";
import { authOptions } from "@/lib/auth/auth-options";
import { authenticate, type SessionUser } from "@/lib/auth/authenticate";
import { hashPassword, verifyPassword } from "@/lib/auth/password";
import { refreshSessionClaims, SessionRevokedError } from "@/lib/auth/session-version";
import type { IssuedInvitation, TeamView } from "@/lib/teams/team.types";
import { INVITATIONS_PER_INVITEE, INVITATIONS_PER_TENANT } from "@/lib/teams/invitation-limits";
import { createInvitation } from "@/lib/teams/invitations";
import { createTestApp, createUser, type TestUser } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";
import { firstLink, startSmtpSink, type SmtpSink } from "@/tests/helpers/smtp-sink";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

let harness: RouteHarness;
let smtp: SmtpSink;

beforeAll(async () => {
  smtp = await startSmtpSink();
  process.env.SMTP_URL = smtp.url;
  process.env.NEXTAUTH_URL = "http://dashboard.test";
  harness = await startRouteHarness();
});
afterAll(async () => {
  await harness?.stop();
  await smtp?.stop();
});

function tokenOf(link: string): string {
  return link.split("/invite/")[1] ?? "";
}

async function invite(owner: TestUser, body: Record<string, unknown>) {
  session.user = owner;
  return invoke<IssuedInvitation>(inviteRoute, { method: "POST", params: { tenantId: owner.tenantId }, body });
}

/** An owner's tenant with an app and a second user who joined it as a member through an invitation. */
async function teamWithMember() {
  const owner = await createUser(harness.db);
  const app = await createTestApp(harness.db, { tenantId: owner.tenantId, planSlug: "starter" });
  const member = await createUser(harness.db);
  const issued = await invite(owner, { email: member.email, role: "member" });
  expect(issued.status).toBe(201);
  session.user = member;
  const accepted = await invoke(acceptRoute, { method: "POST", body: { token: tokenOf(issued.body.link) } });
  expect(accepted.status).toBe(200);
  return { owner, member, app };
}

describe("roles: owner does everything, member uses apps and keys", () => {
  it("a member reads the app, its usage and billing, renames it and manages keys", async () => {
    const { member, app } = await teamWithMember();
    session.user = member;
    const params = { appId: app.id };
    const read = await invoke<{ app: AppView; role: string; permissions: string[] }>(getAppRoute, { params });
    expect(read.status).toBe(200);
    expect(read.body.role).toBe("member");
    expect(read.body.permissions).not.toContain("billing.manage");
    expect((await invoke(usageRoute, { params })).status).toBe(200);
    expect((await invoke(billingRoute, { params })).status).toBe(200);
    expect((await invoke(patchAppRoute, { method: "PATCH", params, body: { name: "Renamed by member" } })).status).toBe(200);
    const key = await invoke<{ key: { id: string } }>(createKeyRoute, { method: "POST", params, body: { kind: "secret", name: "member key" } });
    expect(key.status).toBe(201);
    expect((await invoke(listKeysRoute, { params })).status).toBe(200);
    expect((await invoke(revokeKeyRoute, { method: "DELETE", params: { appId: app.id, keyId: key.body.key.id } })).status).toBe(200);
    const list = await invoke<{ apps: AppView[]; tenants: { id: string; role: string }[] }>(listAppsRoute);
    expect(list.body.apps.map((a) => a.id)).toContain(app.id);
  });

  it("a member is refused (403, nothing changes) for billing, plan changes, deletion, app creation and member management", async () => {
    const { owner, member, app } = await teamWithMember();
    session.user = member;
    const params = { appId: app.id };
    const attempts = await Promise.all([
      invoke(deleteAppRoute, { method: "DELETE", params }),
      invoke(patchAppRoute, { method: "PATCH", params, body: { planSlug: "free" } }),
      invoke(patchAppRoute, { method: "PATCH", params, body: { name: "x", overagesEnabled: true } }),
      invoke(topUpRoute, { method: "POST", params, body: { amountMinor: 1000, cardNumber: "4242424242424242" } }),
      invoke(autoRechargeRoute, { method: "PUT", params, body: { enabled: false, thresholdMinor: 0, amountMinor: 500 } }),
      invoke(spendControlsRoute, { method: "PUT", params, body: { monthlySpendCapMinor: 100, autoRechargeMonthlyCeilingMinor: null } }),
      invoke(createAppRoute, { method: "POST", body: { name: "member app", tenantId: owner.tenantId } }),
      invoke(inviteRoute, { method: "POST", params: { tenantId: owner.tenantId }, body: { email: "friend@test.local" } }),
      invoke(changeRoleRoute, { method: "PATCH", params: { tenantId: owner.tenantId, userId: owner.id }, body: { role: "member" } }),
      invoke(removeMemberRoute, { method: "DELETE", params: { tenantId: owner.tenantId, userId: owner.id } }),
      invoke(transferRoute, { method: "POST", params: { tenantId: owner.tenantId }, body: { userId: member.id } }),
    ]);
    for (const res of attempts) {
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ error: "forbidden", message: expect.stringMatching(/owner/i) });
    }
    const row = await harness.db.app.findUniqueOrThrow({ where: { id: app.id }, include: { plan: true, tenant: { include: { billingAccount: true } } } });
    expect(row).toMatchObject({ deletedAt: null, overagesEnabled: false, plan: { slug: "starter" }, tenant: { billingAccount: { balanceMinor: 0 } } });
    expect(await harness.db.appSpendControls.count({ where: { appId: app.id } })).toBe(0);
    expect(await harness.db.app.count({ where: { tenantId: owner.tenantId } })).toBe(1);
    expect(await harness.db.membership.findUniqueOrThrow({ where: { userId_tenantId: { userId: owner.id, tenantId: owner.tenantId } } })).toMatchObject({ role: "owner" });
    // The member sees the team but not its pending invitations.
    const team = await invoke<TeamView>(teamRoute, { params: { tenantId: owner.tenantId } });
    expect(team.status).toBe(200);
    expect(team.body.members.map((m) => [m.email, m.role])).toEqual([[owner.email, "owner"], [member.email, "member"]]);
  });

  it("an owner may do all of it, and a stranger gets 404 on the team's routes", async () => {
    const { owner, app } = await teamWithMember();
    session.user = owner;
    const params = { appId: app.id };
    expect((await invoke(patchAppRoute, { method: "PATCH", params, body: { planSlug: "free" } })).status).toBe(200);
    expect((await invoke(createAppRoute, { method: "POST", body: { name: "second", tenantId: owner.tenantId } })).status).toBe(201);
    session.user = await createUser(harness.db);
    expect((await invoke(teamRoute, { params: { tenantId: owner.tenantId } })).status).toBe(404);
    expect((await invoke(inviteRoute, { method: "POST", params: { tenantId: owner.tenantId }, body: {} })).status).toBe(404);
    session.user = owner;
    expect((await invoke(deleteAppRoute, { method: "DELETE", params })).status).toBe(200);
  });
});

describe("invitations", () => {
  it("by email: the invitee gets a mail over SMTP whose link adds them with the invited role, once", async () => {
    const owner = await createUser(harness.db);
    const invitee = await createUser(harness.db);
    const issued = await invite(owner, { email: invitee.email.toUpperCase(), role: "owner" });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ emailed: true, invitation: { email: invitee.email, role: "owner", expired: false } });
    const mail = await smtp.waitFor(invitee.email);
    const link = firstLink(mail);
    expect(link).toBe(issued.body.link);
    expect(link.startsWith("http://dashboard.test/invite/inv_")).toBe(true);
    // Only the token's hash is stored.
    const row = await harness.db.invitation.findUniqueOrThrow({ where: { id: issued.body.invitation.id } });
    expect(row.tokenHash).not.toContain(tokenOf(link));
    // Someone else signed in cannot use an invitation addressed to another email.
    session.user = await createUser(harness.db);
    const wrongPerson = await invoke(acceptRoute, { method: "POST", body: { token: tokenOf(link) } });
    expect(wrongPerson.status).toBe(403);
    session.user = invitee;
    const accepted = await invoke(acceptRoute, { method: "POST", body: { token: tokenOf(link) } });
    expect(accepted.body).toEqual({ tenantId: owner.tenantId, role: "owner" });
    const again = await invoke(acceptRoute, { method: "POST", body: { token: tokenOf(link) } });
    expect(again.status).toBe(409);
    // The invitee's dashboard now shows the new team.
    const list = await invoke<{ activeTenantId: string; tenants: { id: string; role: string }[] }>(listAppsRoute);
    expect(list.body.activeTenantId).toBe(owner.tenantId);
    expect(list.body.tenants).toEqual(expect.arrayContaining([expect.objectContaining({ id: owner.tenantId, role: "owner" })]));
  });

  it("internationalised addresses: sign-up, sign-in and an invitation accept them, one account however the domain is typed", async () => {
    const tag = randomUUID().slice(0, 8);
    const signedUp = await invoke<{ user: { id: string; email: string } }>(signUpRoute, {
      method: "POST",
      body: { email: `Jörg.${tag}@Bücher.de`, password: "long-enough-password" },
    });
    expect(signedUp.status).toBe(201);
    expect(signedUp.body.user.email).toBe(`jörg.${tag}@xn--bcher-kva.de`);
    // Chromium's email input sends the domain in punycode; an API client types it in Unicode: one account.
    const noThrottle = { retryAfterSec: () => 0, recordFailure: () => undefined, recordSuccess: () => undefined };
    for (const typed of [`JÖRG.${tag}@bücher.de`, `jörg.${tag}@xn--bcher-kva.de`]) {
      expect((await authenticate(harness.db, { email: typed, password: "long-enough-password", ip: "203.0.113.9" }, noThrottle))?.id, typed).toBe(signedUp.body.user.id);
    }
    expect((await invoke(signUpRoute, { method: "POST", body: { email: `jörg.${tag}@xn--bcher-kva.de`, password: "long-enough-password" } })).status).toBe(409);

    const owner = await createUser(harness.db);
    const issued = await invite(owner, { email: `jörg.${tag}@BÜCHER.de` });
    expect(issued.status).toBe(201);
    expect(issued.body.invitation.email).toBe(signedUp.body.user.email);
    session.user = { id: signedUp.body.user.id, email: signedUp.body.user.email, name: null, isPlatformAdmin: false };
    expect((await invoke(acceptRoute, { method: "POST", body: { token: tokenOf(issued.body.link) } })).status).toBe(200);
  });

  it("by link: anyone signed in may accept it once; concurrent accepts of one link admit exactly one person", async () => {
    const owner = await createUser(harness.db);
    const issued = await invite(owner, {});
    expect(issued.body).toMatchObject({ emailed: false, invitation: { email: null, role: "member" } });
    const people = await Promise.all([createUser(harness.db), createUser(harness.db), createUser(harness.db)]);
    const results = await Promise.all(
      people.map(async (person) => {
        session.user = person;
        return invoke(acceptRoute, { method: "POST", body: { token: tokenOf(issued.body.link) } });
      }),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(await harness.db.membership.count({ where: { tenantId: owner.tenantId } })).toBe(2);
  });

  it("revoked, resent (old link dies) and expired links stop working; duplicates and members are refused", async () => {
    const owner = await createUser(harness.db);
    const invitee = await createUser(harness.db);
    const first = await invite(owner, { email: invitee.email });
    const duplicate = await invite(owner, { email: invitee.email });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ field: "email", message: expect.stringContaining("resend") });
    const resent = await invoke<IssuedInvitation>(resendRoute, { method: "POST", params: { tenantId: owner.tenantId, invitationId: first.body.invitation.id } });
    expect(resent.status).toBe(200);
    expect(resent.body.link).not.toBe(first.body.link);
    session.user = invitee;
    expect((await invoke(acceptRoute, { method: "POST", body: { token: tokenOf(first.body.link) } })).status).toBe(404);
    session.user = owner;
    expect((await invoke(revokeInvitationRoute, { method: "DELETE", params: { tenantId: owner.tenantId, invitationId: first.body.invitation.id } })).status).toBe(200);
    session.user = invitee;
    expect((await invoke(acceptRoute, { method: "POST", body: { token: tokenOf(resent.body.link) } })).status).toBe(404);

    // An invitation issued eight days ago has expired (TTL 7 days).
    const old = await createInvitation(harness.db, { baseUrl: "http://dashboard.test", mailer: null, now: new Date(Date.now() - 8 * 86_400_000) }, { actor: { id: owner.id }, tenantId: owner.tenantId, email: invitee.email, role: "member" });
    expect((await invoke(acceptRoute, { method: "POST", body: { token: tokenOf(old.link) } })).status).toBe(404);

    const { owner: teamOwner, member } = await teamWithMember();
    const existing = await invite(teamOwner, { email: member.email });
    expect(existing.status).toBe(409);
    expect((await invite(teamOwner, { email: "not an email" })).body).toMatchObject({ field: "email", message: expect.stringContaining("Enter a valid email address") });
  });
});

describe("invitation throttling", () => {
  it("one address gets 3 invitations at once, then one an hour, from any team: 429 rate_limited with Retry-After, and no more mail", async () => {
    const owner = await createUser(harness.db);
    const invitee = `invitee-${randomUUID()}@test.local`;
    const first = await invite(owner, { email: invitee });
    expect(first.status).toBe(201);
    const resend = () => invoke(resendRoute, { method: "POST", params: { tenantId: owner.tenantId, invitationId: first.body.invitation.id } });
    expect((await resend()).status).toBe(200);
    expect((await resend()).status).toBe(200);
    const refused = await resend();
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: "rate_limited", message: expect.stringContaining(invitee) });
    const retryAfterSec = Number(refused.headers.get("retry-after"));
    expect(retryAfterSec).toBeGreaterThan(3_000);
    expect(retryAfterSec).toBeLessThanOrEqual(3_600);
    // Another team cannot mail that inbox either; the first team can still invite others.
    expect((await invite(await createUser(harness.db), { email: invitee })).status).toBe(429);
    expect((await invite(owner, { email: `other-${randomUUID()}@test.local` })).status).toBe(201);
    await smtp.waitFor(invitee);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(smtp.messages.filter((mail) => mail.to.includes(invitee))).toHaveLength(INVITATIONS_PER_INVITEE.burst);
  });

  it("a team gets 20 invitations at once, then one a minute, mailed or not; other teams are unaffected", async () => {
    const owner = await createUser(harness.db);
    for (let i = 0; i < INVITATIONS_PER_TENANT.burst; i++) expect((await invite(owner, {})).status).toBe(201);
    const refused = await invite(owner, { email: `late-${randomUUID()}@test.local` });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: "rate_limited" });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(50);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect((await invite(await createUser(harness.db), {})).status).toBe(201);
  });

  it("a refused duplicate costs no allowance", async () => {
    const owner = await createUser(harness.db);
    const invitee = `dup-${randomUUID()}@test.local`;
    const first = await invite(owner, { email: invitee });
    expect(first.status).toBe(201);
    for (let i = 0; i < 5; i++) expect((await invite(owner, { email: invitee })).status).toBe(409);
    for (let i = 1; i < INVITATIONS_PER_INVITEE.burst; i++) {
      expect((await invoke(resendRoute, { method: "POST", params: { tenantId: owner.tenantId, invitationId: first.body.invitation.id } })).status).toBe(200);
    }
  });
});

describe("members: a team always keeps an owner", () => {
  it("role change, removal, leave and transfer; the last owner can neither leave nor be demoted", async () => {
    const { owner, member } = await teamWithMember();
    session.user = owner;
    const tenantId = owner.tenantId;
    const lastOwnerLeaves = await invoke(leaveRoute, { method: "POST", params: { tenantId } });
    expect(lastOwnerLeaves.status).toBe(409);
    expect(lastOwnerLeaves.body).toMatchObject({ message: expect.stringContaining("transfer ownership") });
    expect((await invoke(changeRoleRoute, { method: "PATCH", params: { tenantId, userId: owner.id }, body: { role: "member" } })).status).toBe(409);
    expect((await invoke(transferRoute, { method: "POST", params: { tenantId }, body: { userId: member.id } })).status).toBe(200);
    const roles = await harness.db.membership.findMany({ where: { tenantId }, select: { userId: true, role: true } });
    expect(Object.fromEntries(roles.map((r) => [r.userId, r.role]))).toEqual({ [owner.id]: "member", [member.id]: "owner" });
    // The former owner is now a member and can leave; the new owner removes nobody by mistake.
    expect((await invoke(leaveRoute, { method: "POST", params: { tenantId } })).status).toBe(200);
    expect(await harness.db.membership.count({ where: { tenantId } })).toBe(1);
    session.user = member;
    const extra = await createUser(harness.db);
    const issued = await invoke<IssuedInvitation>(inviteRoute, { method: "POST", params: { tenantId }, body: { email: extra.email } });
    session.user = extra;
    await invoke(acceptRoute, { method: "POST", body: { token: tokenOf(issued.body.link) } });
    session.user = member;
    expect((await invoke(removeMemberRoute, { method: "DELETE", params: { tenantId, userId: extra.id } })).status).toBe(200);
    expect((await invoke(removeMemberRoute, { method: "DELETE", params: { tenantId, userId: member.id } })).status).toBe(409);
    expect((await invoke(changeRoleRoute, { method: "PATCH", params: { tenantId, userId: extra.id }, body: { role: "admin" } })).status).toBe(422);
  });

  it("races: two owners demoting each other, or both leaving, at the same instant leave exactly one owner", async () => {
    for (let round = 0; round < 5; round += 1) {
      const a = await createUser(harness.db);
      const b = await createUser(harness.db);
      await harness.db.membership.create({ data: { userId: b.id, tenantId: a.tenantId, role: "owner" } });
      const tenantId = a.tenantId;
      const actions =
        round % 2 === 0
          ? [
              (async () => {
                session.user = a;
                return invoke(changeRoleRoute, { method: "PATCH", params: { tenantId, userId: b.id }, body: { role: "member" } });
              })(),
              (async () => {
                session.user = b;
                return invoke(changeRoleRoute, { method: "PATCH", params: { tenantId, userId: a.id }, body: { role: "member" } });
              })(),
            ]
          : [
              (async () => {
                session.user = a;
                return invoke(leaveRoute, { method: "POST", params: { tenantId } });
              })(),
              (async () => {
                session.user = b;
                return invoke(leaveRoute, { method: "POST", params: { tenantId } });
              })(),
            ];
      const statuses = (await Promise.all(actions)).map((r) => r.status).sort();
      const owners = await harness.db.membership.count({ where: { tenantId, role: "owner" } });
      expect(owners, `round ${round}: ${statuses.join(",")}`).toBe(1);
      expect(statuses).toContain(200);
    }
  });
});

describe("sessions: a per-user version ends old sessions", () => {
  async function tokenFor(user: TestUser) {
    const row = await harness.db.user.findUniqueOrThrow({ where: { id: user.id } });
    return { userId: user.id, isPlatformAdmin: row.isPlatformAdmin, sessionVersion: row.sessionVersion, email: row.email };
  }
  const jwt = authOptions.callbacks?.jwt;
  async function stillValid(token: Awaited<ReturnType<typeof tokenFor>>): Promise<boolean> {
    if (!jwt) throw new Error("no jwt callback");
    try {
      await jwt({ token, account: null, user: undefined as never });
      return true;
    } catch (error) {
      if (error instanceof SessionRevokedError) return false;
      throw error;
    }
  }

  it("sign out everywhere, a password change and a role change end the sessions issued before them", async () => {
    const { owner, member } = await teamWithMember();
    const ownerToken = await tokenFor(owner);
    expect(await stillValid(ownerToken)).toBe(true);
    session.user = owner;
    expect((await invoke(signOutEverywhereRoute, { method: "POST" })).status).toBe(200);
    expect(await stillValid(ownerToken)).toBe(false);
    expect(await stillValid(await tokenFor(owner))).toBe(true);

    await harness.db.user.update({ where: { id: owner.id }, data: { passwordHash: await hashPassword("old-password-1") } });
    const beforePasswordChange = await tokenFor(owner);
    const wrong = await invoke(changePasswordRoute, { method: "POST", body: { currentPassword: "nope", newPassword: "new-password-2" } });
    expect(wrong.status).toBe(422);
    expect(wrong.body).toMatchObject({ field: "currentPassword" });
    expect(await stillValid(beforePasswordChange)).toBe(true);
    expect((await invoke(changePasswordRoute, { method: "POST", body: { currentPassword: "old-password-1", newPassword: "new-password-2" } })).status).toBe(200);
    expect(await stillValid(beforePasswordChange)).toBe(false);
    const row = await harness.db.user.findUniqueOrThrow({ where: { id: owner.id } });
    expect(await verifyPassword("new-password-2", row.passwordHash)).toBe(true);

    const memberToken = await tokenFor(member);
    expect((await invoke(changeRoleRoute, { method: "PATCH", params: { tenantId: owner.tenantId, userId: member.id }, body: { role: "owner" } })).status).toBe(200);
    expect(await stillValid(memberToken)).toBe(false);
  });

  it("demoting a platform admin ends their sessions; the claims are re-read on every request", async () => {
    const admin = await createUser(harness.db, { admin: true });
    const other = await createUser(harness.db, { admin: true });
    const otherToken = await tokenFor(other);
    session.user = admin;
    const self = await invoke(adminUserRoute, { method: "PATCH", params: { userId: admin.id }, body: { isPlatformAdmin: false } });
    expect(self.status).toBe(422);
    expect((await invoke(adminUserRoute, { method: "PATCH", params: { userId: other.id }, body: { isPlatformAdmin: false } })).status).toBe(200);
    expect(await stillValid(otherToken)).toBe(false);
    await expect(refreshSessionClaims(harness.db, await tokenFor(other))).resolves.toMatchObject({ isPlatformAdmin: false });
    session.user = await createUser(harness.db);
    expect((await invoke(adminUserRoute, { method: "PATCH", params: { userId: admin.id }, body: { isPlatformAdmin: false } })).status).toBe(404);
    await expect(refreshSessionClaims(harness.db, { userId: "no-such-user", sessionVersion: 0 })).rejects.toBeInstanceOf(SessionRevokedError);
  });
});

describe("account", () => {
  it("name and email changes; the email needs the current password and must be free; switching teams", async () => {
    const user = await createUser(harness.db);
    await harness.db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword("account-password") } });
    session.user = user;
    expect((await invoke(patchAccountRoute, { method: "PATCH", body: { name: "Ada" } })).body).toMatchObject({ account: { name: "Ada", email: user.email } });
    const noPassword = await invoke(patchAccountRoute, { method: "PATCH", body: { email: "ada@test.local" } });
    expect(noPassword.body).toMatchObject({ field: "currentPassword" });
    const taken = await createUser(harness.db);
    expect((await invoke(patchAccountRoute, { method: "PATCH", body: { email: taken.email, currentPassword: "account-password" } })).status).toBe(409);
    const email = `ada-${Date.now()}@test.local`;
    expect((await invoke(patchAccountRoute, { method: "PATCH", body: { email, currentPassword: "account-password" } })).body).toMatchObject({ account: { email } });
    expect((await invoke(activeTenantRoute, { method: "PUT", body: { tenantId: taken.tenantId } })).status).toBe(404);
    expect((await invoke(activeTenantRoute, { method: "PUT", body: { tenantId: user.tenantId } })).status).toBe(200);
  });
});
