"use client";
import Link from "next/link";
import { signIn } from "next-auth/react";
import { useRouter, useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";
import { NETWORK_ERROR_MESSAGE } from "@/components/api";
import { safeCallbackPath } from "@/lib/auth/safe-callback";

interface AuthFormProps {
  mode: "sign-in" | "sign-up";
}

export function AuthForm({ mode }: AuthFormProps) {
  const router = useRouter();
  const searchParams = useSearchParams();
  const [error, setError] = useState<{ message: string; field?: string } | null>(null);
  const [pending, setPending] = useState(false);
  // An invitation's sign-in and sign-up links name the invited address and bring the user back to it.
  const invitedEmail = searchParams.get("email") ?? undefined;
  const otherModeQuery = new URLSearchParams([...searchParams.entries()].filter(([name]) => name === "callbackUrl" || name === "email")).toString();
  const otherModeHref = (path: string) => (otherModeQuery ? `${path}?${otherModeQuery}` : path);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setPending(true);
    setError(null);
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email") ?? "");
    const password = String(form.get("password") ?? "");
    try {
      if (mode === "sign-up") {
        const response = await fetch("/api/auth/sign-up", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email, password, name: String(form.get("name") ?? "") || undefined }),
        });
        if (!response.ok) {
          const body = (await response.json().catch(() => ({}))) as { message?: string; field?: string };
          setError({ message: body.message ?? "Sign-up failed", field: body.field });
          return;
        }
      }
      const result = await signIn("credentials", { email, password, redirect: false });
      if (!result || result.error) {
        setError({ message: result?.error && result.error !== "CredentialsSignin" ? result.error : "Wrong email or password" });
        return;
      }
      // "/" sends admins to the admin home and customers to their apps.
      router.push(safeCallbackPath(searchParams.get("callbackUrl"), "/"));
      router.refresh();
    } catch {
      // Only a request that got no answer at all throws here (offline, server restarting).
      setError({ message: NETWORK_ERROR_MESSAGE });
    } finally {
      setPending(false);
    }
  }

  return (
    <form className="card auth-card" onSubmit={onSubmit} noValidate>
      <h1>{mode === "sign-in" ? "Sign in to Tollgate" : "Create your Tollgate account"}</h1>
      {mode === "sign-up" && (
        <label>
          Name
          <input name="name" autoComplete="name" maxLength={100} />
        </label>
      )}
      <div className="field">
        <label htmlFor="auth-email">Email</label>
        <input
          id="auth-email"
          name="email"
          type="email"
          autoComplete="email"
          defaultValue={invitedEmail}
          required
          aria-invalid={error?.field === "email"}
          aria-describedby={error?.field === "email" ? "email-error" : undefined}
        />
        {error?.field === "email" && (
          <small id="email-error" role="alert" className="field-error">
            {error.message}
          </small>
        )}
      </div>
      <div className="field">
        <label htmlFor="auth-password">Password</label>
        <input
          id="auth-password"
          name="password"
          type="password"
          autoComplete={mode === "sign-in" ? "current-password" : "new-password"}
          required
          minLength={mode === "sign-up" ? 8 : undefined}
          aria-invalid={error?.field === "password"}
          aria-describedby={error?.field === "password" ? "password-error" : undefined}
        />
        {error?.field === "password" && (
          <small id="password-error" role="alert" className="field-error">
            {error.message}
          </small>
        )}
      </div>
      {/* Errors tied to a field are shown next to it; the rest (wrong password, rate limit) here. */}
      {error && error.field !== "email" && error.field !== "password" && (
        <p role="alert" className="form-error">
          {error.message}
        </p>
      )}
      <button type="submit" className="primary" disabled={pending}>
        {pending ? "Please wait…" : mode === "sign-in" ? "Sign in" : "Create account"}
      </button>
      <p className="muted">
        {mode === "sign-in" ? (
          <>
            New here? <Link href={otherModeHref("/sign-up")}>Create an account</Link> · <Link href="/reset-password">Forgot your password?</Link>
          </>
        ) : (
          <>
            Already have an account? <Link href={otherModeHref("/sign-in")}>Sign in</Link>
          </>
        )}
      </p>
    </form>
  );
}
