// Links in mail never come from the request. A stranger may send any Host (Next builds the request's
// URL from it): if a password-reset mail linked there, the victim's click would hand the token to the
// stranger's host. Without NEXTAUTH_URL, links point at the documented default, http://localhost:$PORT.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as resetRequestRoute } from "@/app/api/auth/password-reset/route";
import { POST as inviteRoute } from "@/app/api/tenants/[tenantId]/invitations/route";
import type { SessionUser } from "@/lib/auth/authenticate";
import { createUser } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";
import { firstLink, startSmtpSink, type SmtpSink } from "@/tests/helpers/smtp-sink";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

let harness: RouteHarness;
let smtp: SmtpSink;
const saved = { NEXTAUTH_URL: process.env.NEXTAUTH_URL, PORT: process.env.PORT };

beforeAll(async () => {
  smtp = await startSmtpSink();
  process.env.SMTP_URL = smtp.url;
  delete process.env.NEXTAUTH_URL;
  process.env.PORT = "3456";
  harness = await startRouteHarness();
});
afterAll(async () => {
  await harness?.stop();
  await smtp?.stop();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe("links in mail without NEXTAUTH_URL", () => {
  it("a password reset requested under a stranger's Host links to the dashboard's own address, not the stranger's", async () => {
    const user = await createUser(harness.db);
    const response = await invoke(resetRequestRoute, { method: "POST", path: "http://attacker.example/api/auth/password-reset", body: { email: user.email } });
    expect(response.status).toBe(202);
    const link = firstLink(await smtp.waitFor(user.email));
    expect(link).toMatch(/^http:\/\/localhost:3456\/reset-password\/pwr_/);
  });

  it("an invitation created under a stranger's Host links to the dashboard's own address, in the answer and in the mail", async () => {
    const owner = await createUser(harness.db);
    const invitee = `invitee-${owner.id}@test.local`;
    session.user = owner;
    const issued = await invoke<{ link: string }>(inviteRoute, { method: "POST", path: `http://attacker.example/api/tenants/${owner.tenantId}/invitations`, params: { tenantId: owner.tenantId }, body: { email: invitee } });
    expect(issued.status).toBe(201);
    expect(issued.body.link).toMatch(/^http:\/\/localhost:3456\/invite\/inv_/);
    expect(firstLink(await smtp.waitFor(invitee))).toBe(issued.body.link);
  });
});
