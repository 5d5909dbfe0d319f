"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { apiFetch, fieldError } from "@/components/api";
import type { Invitation, IssuedInvitation, Member, Team } from "@/components/api-types";
import { useApps } from "@/components/apps/queries";
import { formatDate, formatDateTime } from "@/components/format";
import { inviteButtonLabel } from "@/components/teams/invite-button-label";
import { TeamWalletCard } from "@/components/teams/team-wallet-card";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { CopyButton } from "@/components/ui/copy-button";
import { ErrorState } from "@/components/ui/error-state";
import { Field, FormError } from "@/components/ui/field";
import { SkeletonBlock } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";

const teamKey = (tenantId: string) => ["team", tenantId] as const;

/** The active team: members with roles, invitations, and (for owners) the controls to manage them. */
export function TeamPanel({ currentUserId }: { currentUserId: string }) {
  const apps = useApps();
  const tenantId = apps.data?.activeTenantId ?? null;
  const team = useQuery({
    queryKey: teamKey(tenantId ?? ""),
    queryFn: () => apiFetch<Team>(`/api/tenants/${encodeURIComponent(tenantId ?? "")}`),
    enabled: tenantId !== null,
  });
  if (apps.isPending || (tenantId && team.isPending)) return <SkeletonBlock rows={4} label="Loading team" />;
  if (apps.isError) return <ErrorState error={apps.error} onRetry={() => void apps.refetch()} />;
  if (team.isError) return <ErrorState error={team.error} onRetry={() => void team.refetch()} />;
  if (!team.data) return <p className="empty">You are not a member of any team.</p>;
  const canManage = team.data.permissions.includes("members.manage");
  return (
    <section className="stack">
      <div className="page-header">
        <h1>Team: {team.data.tenant.name}</h1>
        <span className="badge">you are {team.data.role === "owner" ? "an owner" : "a member"}</span>
      </div>
      {canManage && <InviteForm team={team.data} />}
      <MembersTable team={team.data} currentUserId={currentUserId} canManage={canManage} />
      {team.data.permissions.includes("billing.read") && <TeamWalletCard tenantId={team.data.tenant.id} />}
      {canManage && <InvitationsTable team={team.data} />}
      <LeaveCard team={team.data} />
    </section>
  );
}

function IssuedLink({ issued }: { issued: IssuedInvitation }) {
  return (
    <div className="banner banner-info stack" role="status" data-testid="invitation-link">
      <p>
        {issued.emailed ? `Invitation emailed to ${issued.invitation.email}. ` : ""}Share this link{issued.invitation.email ? ` with ${issued.invitation.email}` : ""}: it works once and
        expires {formatDateTime(issued.invitation.expiresAt)}. It is shown only now.
      </p>
      <div className="secret-list">
        <code className="invitation-link">{issued.link}</code>
        <CopyButton text={issued.link} label="Copy invitation link" />
      </div>
    </div>
  );
}

function InviteForm({ team }: { team: Team }) {
  const queryClient = useQueryClient();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<"member" | "owner">("member");
  const [issued, setIssued] = useState<IssuedInvitation | null>(null);
  const invite = useMutation({
    mutationFn: () => apiFetch<IssuedInvitation>(`/api/tenants/${encodeURIComponent(team.tenant.id)}/invitations`, { method: "POST", body: { ...(email.trim() ? { email: email.trim() } : {}), role } }),
    onSuccess: (result) => {
      setIssued(result);
      setEmail("");
      void queryClient.invalidateQueries({ queryKey: teamKey(team.tenant.id) });
    },
  });
  function onSubmit(event: FormEvent) {
    event.preventDefault();
    invite.mutate();
  }
  return (
    <form className="card form-grid" onSubmit={onSubmit} aria-label="Invite someone" noValidate>
      <h2>Invite someone</h2>
      <p className="muted small">
        {team.emailEnabled
          ? "With an email address, the invitation is mailed and only that address can accept it. Leave it empty for a link anyone you share it with can use once."
          : "This server sends no email (SMTP is not configured): share the link you get. With an email address, only that address can accept it."}
      </p>
      <Field label="Email (optional)" error={fieldError(invite.error, "email")}>
        <input type="email" value={email} onChange={(event) => setEmail(event.target.value)} placeholder="name@company.com" autoComplete="off" />
      </Field>
      <Field label="Role" error={fieldError(invite.error, "role")} hint="Members use apps and keys; owners also manage billing, deletion and the team.">
        <select value={role} onChange={(event) => setRole(event.target.value as "member" | "owner")}>
          <option value="member">Member</option>
          <option value="owner">Owner</option>
        </select>
      </Field>
      <FormError error={invite.error} shownFields={["email", "role"]} />
      <div className="actions">
        <button type="submit" className="primary" disabled={invite.isPending}>
          {inviteButtonLabel({ email, emailEnabled: team.emailEnabled, pending: invite.isPending })}
        </button>
      </div>
      {issued && <IssuedLink issued={issued} />}
    </form>
  );
}

function MembersTable({ team, currentUserId, canManage }: { team: Team; currentUserId: string; canManage: boolean }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [removing, setRemoving] = useState<Member | null>(null);
  const [transferring, setTransferring] = useState<Member | null>(null);
  const base = `/api/tenants/${encodeURIComponent(team.tenant.id)}`;
  const refresh = () => void queryClient.invalidateQueries();
  const changeRole = useMutation({
    mutationFn: (input: { userId: string; role: "owner" | "member" }) => apiFetch(`${base}/members/${encodeURIComponent(input.userId)}`, { method: "PATCH", body: { role: input.role } }),
    onSuccess: () => {
      toast.show("Role changed");
      refresh();
    },
    onError: (error) => toast.show(error.message, "error"),
  });
  const remove = useMutation({
    mutationFn: (userId: string) => apiFetch(`${base}/members/${encodeURIComponent(userId)}`, { method: "DELETE" }),
    onSuccess: () => {
      setRemoving(null);
      toast.show("Member removed");
      refresh();
    },
    onError: (error) => {
      setRemoving(null);
      toast.show(error.message, "error");
    },
  });
  const transfer = useMutation({
    mutationFn: (userId: string) => apiFetch(`${base}/transfer`, { method: "POST", body: { userId } }),
    onSuccess: () => {
      setTransferring(null);
      toast.show("Ownership transferred: you are now a member");
      refresh();
    },
    onError: (error) => {
      setTransferring(null);
      toast.show(error.message, "error");
    },
  });
  return (
    <section className="card stack" aria-labelledby="members-heading">
      <h2 id="members-heading">Members</h2>
      <div className="table-wrap">
        <table className="table responsive" aria-label="Members">
          <thead>
            <tr>
              <th scope="col">Member</th>
              <th scope="col">Role</th>
              <th scope="col">Joined</th>
              {canManage && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {team.members.map((member) => (
              <tr key={member.userId}>
                <td data-label="Member">
                  {member.name ? `${member.name} · ` : ""}
                  <span className="nowrap">{member.email}</span>
                  {member.userId === currentUserId && <span className="badge">you</span>}
                </td>
                <td data-label="Role">
                  {canManage ? (
                    <select
                      aria-label={`Role of ${member.email}`}
                      value={member.role}
                      disabled={changeRole.isPending}
                      onChange={(event) => changeRole.mutate({ userId: member.userId, role: event.target.value as "owner" | "member" })}
                    >
                      <option value="owner">Owner</option>
                      <option value="member">Member</option>
                    </select>
                  ) : (
                    <span className="badge">{member.role}</span>
                  )}
                </td>
                <td data-label="Joined" className="nowrap">
                  {formatDate(member.joinedAt)}
                </td>
                {canManage && (
                  <td data-label="Actions">
                    {member.userId !== currentUserId && (
                      <div className="row-actions">
                        {team.role === "owner" && member.role === "member" && (
                          <button type="button" className="small-button" onClick={() => setTransferring(member)}>
                            Make owner &amp; step down
                          </button>
                        )}
                        <button type="button" className="small-button danger" onClick={() => setRemoving(member)} aria-label={`Remove ${member.email}`}>
                          Remove
                        </button>
                      </div>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ConfirmDialog
        open={removing !== null}
        title={`Remove ${removing?.email ?? ""}?`}
        confirmLabel="Remove member"
        destructive
        pending={remove.isPending}
        onCancel={() => setRemoving(null)}
        onConfirm={() => removing && remove.mutate(removing.userId)}
      >
        <p>They lose access to this team&apos;s apps at once and are signed out.</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={transferring !== null}
        title={`Transfer ownership to ${transferring?.email ?? ""}?`}
        confirmLabel="Transfer ownership"
        pending={transfer.isPending}
        onCancel={() => setTransferring(null)}
        onConfirm={() => transferring && transfer.mutate(transferring.userId)}
      >
        <p>They become an owner and you become a member: you can no longer change billing or manage the team.</p>
      </ConfirmDialog>
    </section>
  );
}

function InvitationRow({ team, invitation }: { team: Team; invitation: Invitation }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [issued, setIssued] = useState<IssuedInvitation | null>(null);
  const base = `/api/tenants/${encodeURIComponent(team.tenant.id)}/invitations/${encodeURIComponent(invitation.id)}`;
  const resend = useMutation({
    mutationFn: () => apiFetch<IssuedInvitation>(`${base}/resend`, { method: "POST" }),
    onSuccess: (result) => {
      setIssued(result);
      toast.show(result.emailed ? "Invitation sent again" : "New link created: the old one no longer works");
      void queryClient.invalidateQueries({ queryKey: teamKey(team.tenant.id) });
    },
    onError: (error) => toast.show(error.message, "error"),
  });
  const revoke = useMutation({
    mutationFn: () => apiFetch(base, { method: "DELETE" }),
    onSuccess: () => {
      toast.show("Invitation revoked");
      void queryClient.invalidateQueries({ queryKey: teamKey(team.tenant.id) });
    },
    onError: (error) => toast.show(error.message, "error"),
  });
  const label = invitation.email ?? "link invitation";
  return (
    <tr>
      <td data-label="Invited">
        <span className="nowrap">{label}</span>
        {issued && <IssuedLink issued={issued} />}
      </td>
      <td data-label="Role">{invitation.role}</td>
      <td data-label="Expires" className="nowrap">
        {invitation.expired ? <span className="badge suspended">expired</span> : formatDateTime(invitation.expiresAt)}
      </td>
      <td data-label="Actions">
        <div className="row-actions">
          <button type="button" className="small-button" onClick={() => resend.mutate()} disabled={resend.isPending} aria-label={`Resend invitation for ${label}`}>
            {invitation.email && team.emailEnabled ? "Resend" : "New link"}
          </button>
          <button type="button" className="small-button danger" onClick={() => revoke.mutate()} disabled={revoke.isPending} aria-label={`Revoke invitation for ${label}`}>
            Revoke
          </button>
        </div>
      </td>
    </tr>
  );
}

function InvitationsTable({ team }: { team: Team }) {
  return (
    <section className="card stack" aria-labelledby="invitations-heading">
      <h2 id="invitations-heading">Pending invitations</h2>
      {team.invitations.length === 0 ? (
        <p className="empty">No pending invitations.</p>
      ) : (
        <div className="table-wrap">
          <table className="table responsive" aria-label="Pending invitations">
            <thead>
              <tr>
                <th scope="col">Invited</th>
                <th scope="col">Role</th>
                <th scope="col">Expires</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {team.invitations.map((invitation) => (
                <InvitationRow key={invitation.id} team={team} invitation={invitation} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function LeaveCard({ team }: { team: Team }) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [confirming, setConfirming] = useState(false);
  const leave = useMutation({
    mutationFn: () => apiFetch(`/api/tenants/${encodeURIComponent(team.tenant.id)}/leave`, { method: "POST" }),
    onSuccess: () => {
      toast.show(`You left ${team.tenant.name}`);
      void queryClient.invalidateQueries();
      router.push("/apps");
    },
    onError: (error) => {
      setConfirming(false);
      toast.show(error.message, "error");
    },
  });
  return (
    <section className="card stack danger-zone" aria-labelledby="leave-heading">
      <h2 id="leave-heading">Leave this team</h2>
      <p className="muted small">You lose access to its apps. A team keeps at least one owner: the last owner transfers ownership first.</p>
      <div className="actions">
        <button type="button" className="danger" onClick={() => setConfirming(true)}>
          Leave {team.tenant.name}
        </button>
      </div>
      <ConfirmDialog open={confirming} title={`Leave ${team.tenant.name}?`} confirmLabel="Leave team" destructive pending={leave.isPending} onCancel={() => setConfirming(false)} onConfirm={() => leave.mutate()}>
        <p>You will need a new invitation to come back.</p>
      </ConfirmDialog>
    </section>
  );
}
