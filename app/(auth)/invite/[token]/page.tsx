import Link from "next/link";
import { AcceptInvitationButton } from "@/components/teams/accept-invitation-button";
import { getDb } from "@/lib/db";
import { getSessionUser } from "@/lib/http/session";
import { previewInvitation } from "@/lib/teams/accept-invitation";

export const dynamic = "force-dynamic";
export const metadata = { title: "Invitation" };

const unusableText = {
  expired: "This invitation has expired.",
  revoked: "This invitation was withdrawn.",
  accepted: "This invitation was already used.",
} as const;

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const [invitation, user] = await Promise.all([previewInvitation(getDb(), { token }), getSessionUser()]);
  const here = `/invite/${encodeURIComponent(token)}`;
  // Signing in or up comes back here, with the invited address already filled in.
  const authQuery = new URLSearchParams({ callbackUrl: here, ...(invitation?.email ? { email: invitation.email } : {}) }).toString();
  return (
    <main className="centered">
      <div className="card auth-card stack">
        <h1>{invitation ? `Join ${invitation.tenantName}` : "Invitation not found"}</h1>
        {!invitation ? (
          <p>This link is not a valid invitation. Check that you copied all of it, or ask for a new one.</p>
        ) : invitation.unusableReason ? (
          <p role="alert">{unusableText[invitation.unusableReason]} Ask a team owner for a new invitation.</p>
        ) : (
          <>
            <p>
              You are invited to join <strong>{invitation.tenantName}</strong> on Tollgate as {invitation.role === "owner" ? "an owner" : "a member"}
              {invitation.email ? (
                <>
                  {" "}
                  (for <strong>{invitation.email}</strong>)
                </>
              ) : null}
              .
            </p>
            {user ? (
              <AcceptInvitationButton token={token} signedInAs={user.email} />
            ) : (
              <p>
                <Link href={`/sign-in?${authQuery}`}>Sign in</Link> or <Link href={`/sign-up?${authQuery}`}>create an account</Link> to accept it.
              </p>
            )}
          </>
        )}
      </div>
    </main>
  );
}
