"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { signIn, signOut } from "next-auth/react";
import { useState, type FormEvent } from "react";
import { apiFetch, fieldError } from "@/components/api";
import type { Account } from "@/components/api-types";
import { ErrorState } from "@/components/ui/error-state";
import { Field, FormError } from "@/components/ui/field";
import { SkeletonBlock } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";

export function AccountSettings() {
  const account = useQuery({ queryKey: ["account"], queryFn: async () => (await apiFetch<{ account: Account }>("/api/account")).account });
  if (account.isPending) return <SkeletonBlock rows={4} label="Loading account" />;
  if (account.isError) return <ErrorState error={account.error} onRetry={() => void account.refetch()} />;
  return (
    <section className="stack">
      <h1>Account</h1>
      <ProfileForm account={account.data} />
      <PasswordForm email={account.data.email} />
      <SignOutEverywhere />
    </section>
  );
}

function ProfileForm({ account }: { account: Account }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [name, setName] = useState(account.name ?? "");
  const [email, setEmail] = useState(account.email);
  const [currentPassword, setCurrentPassword] = useState("");
  const emailChanges = email.trim().toLowerCase() !== account.email;
  const save = useMutation({
    mutationFn: () => apiFetch<{ account: Account }>("/api/account", { method: "PATCH", body: { name: name.trim(), email: email.trim(), ...(emailChanges ? { currentPassword } : {}) } }),
    onSuccess: () => {
      setCurrentPassword("");
      toast.show("Profile saved");
      void queryClient.invalidateQueries({ queryKey: ["account"] });
    },
  });
  function onSubmit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }
  return (
    <form className="card form-grid" onSubmit={onSubmit} aria-label="Profile" noValidate>
      <h2>Profile</h2>
      <Field label="Name" error={fieldError(save.error, "name")}>
        <input value={name} onChange={(event) => setName(event.target.value)} maxLength={100} autoComplete="name" />
      </Field>
      <Field label="Email" error={fieldError(save.error, "email")} hint="Sign-in and password resets use this address.">
        <input type="email" value={email} onChange={(event) => setEmail(event.target.value)} autoComplete="email" />
      </Field>
      {emailChanges && (
        <Field label="Current password (to change your email)" error={fieldError(save.error, "currentPassword")}>
          <input type="password" value={currentPassword} onChange={(event) => setCurrentPassword(event.target.value)} autoComplete="current-password" />
        </Field>
      )}
      <FormError error={save.error} shownFields={["name", "email", "currentPassword"]} />
      <div className="actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save profile"}
        </button>
      </div>
    </form>
  );
}

function PasswordForm({ email }: { email: string }) {
  const toast = useToast();
  const [currentPassword, setCurrentPassword] = useState("");
  const [newPassword, setNewPassword] = useState("");
  const change = useMutation({
    mutationFn: async () => {
      await apiFetch("/api/account/password", { method: "POST", body: { currentPassword, newPassword } });
      // Every session ended with the change, this one too: sign this browser in again with the new password.
      const result = await signIn("credentials", { email, password: newPassword, redirect: false });
      if (!result?.ok) window.location.assign("/sign-in");
    },
    onSuccess: () => {
      setCurrentPassword("");
      setNewPassword("");
      toast.show("Password changed: other devices were signed out");
    },
  });
  function onSubmit(event: FormEvent) {
    event.preventDefault();
    change.mutate();
  }
  return (
    <form className="card form-grid" onSubmit={onSubmit} aria-label="Change password" noValidate>
      <h2>Change password</h2>
      <Field label="Current password" error={fieldError(change.error, "currentPassword")}>
        <input type="password" value={currentPassword} onChange={(event) => setCurrentPassword(event.target.value)} autoComplete="current-password" />
      </Field>
      <Field label="New password" error={fieldError(change.error, "newPassword")} hint="At least 8 characters. Other devices are signed out.">
        <input type="password" value={newPassword} onChange={(event) => setNewPassword(event.target.value)} autoComplete="new-password" />
      </Field>
      <FormError error={change.error} shownFields={["currentPassword", "newPassword"]} />
      <div className="actions">
        <button type="submit" className="primary" disabled={change.isPending}>
          {change.isPending ? "Changing…" : "Change password"}
        </button>
      </div>
    </form>
  );
}

function SignOutEverywhere() {
  const toast = useToast();
  const end = useMutation({
    mutationFn: () => apiFetch("/api/account/sign-out-everywhere", { method: "POST" }),
    onSuccess: () => void signOut({ callbackUrl: "/sign-in" }),
    onError: (error) => toast.show(error.message, "error"),
  });
  return (
    <section className="card stack danger-zone" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Sessions</h2>
      <p className="muted small">Signs you out on every device and browser, this one included.</p>
      <div className="actions">
        <button type="button" className="danger" onClick={() => end.mutate()} disabled={end.isPending}>
          {end.isPending ? "Signing out…" : "Sign out everywhere"}
        </button>
      </div>
    </section>
  );
}
