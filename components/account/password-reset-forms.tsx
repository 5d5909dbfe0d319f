"use client";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { apiFetch, fieldError } from "@/components/api";
import { Field, FormError } from "@/components/ui/field";

export function RequestPasswordResetForm() {
  const [email, setEmail] = useState("");
  const request = useMutation({ mutationFn: () => apiFetch("/api/auth/password-reset", { method: "POST", body: { email: email.trim() } }) });
  function onSubmit(event: FormEvent) {
    event.preventDefault();
    request.mutate();
  }
  if (request.isSuccess) {
    return (
      <div className="card auth-card stack" role="status">
        <h1>Check your email</h1>
        <p>If an account uses {email.trim()}, a link to choose a new password is on its way. It works once, for one hour.</p>
        <Link href="/sign-in">Back to sign in</Link>
      </div>
    );
  }
  return (
    <form className="card auth-card form-grid" onSubmit={onSubmit} aria-label="Reset password" noValidate>
      <h1>Reset your password</h1>
      <Field label="Email" error={fieldError(request.error, "email")}>
        <input type="email" value={email} onChange={(event) => setEmail(event.target.value)} autoComplete="email" required />
      </Field>
      <FormError error={request.error} shownFields={["email"]} />
      <button type="submit" className="primary" disabled={request.isPending}>
        {request.isPending ? "Sending…" : "Email me a reset link"}
      </button>
      <Link href="/sign-in">Back to sign in</Link>
    </form>
  );
}

export function ChooseNewPasswordForm({ token }: { token: string }) {
  const [password, setPassword] = useState("");
  const reset = useMutation({ mutationFn: () => apiFetch<{ email: string }>("/api/auth/password-reset/confirm", { method: "POST", body: { token, password } }) });
  function onSubmit(event: FormEvent) {
    event.preventDefault();
    reset.mutate();
  }
  if (reset.isSuccess) {
    return (
      <div className="card auth-card stack" role="status">
        <h1>Password changed</h1>
        <p>Every earlier session of {reset.data.email} was signed out.</p>
        <Link href="/sign-in">Sign in with the new password</Link>
      </div>
    );
  }
  return (
    <form className="card auth-card form-grid" onSubmit={onSubmit} aria-label="Choose a new password" noValidate>
      <h1>Choose a new password</h1>
      <Field label="New password" error={fieldError(reset.error, "password")} hint="At least 8 characters.">
        <input type="password" value={password} onChange={(event) => setPassword(event.target.value)} autoComplete="new-password" required />
      </Field>
      <FormError error={reset.error} shownFields={["password"]} />
      <button type="submit" className="primary" disabled={reset.isPending}>
        {reset.isPending ? "Saving…" : "Set new password"}
      </button>
      {fieldError(reset.error, "token") && <Link href="/reset-password">Ask for a new link</Link>}
    </form>
  );
}
