"use client";
import { cloneElement, useId, type ReactElement, type ReactNode } from "react";
import { formError, isNetworkError } from "@/components/api";

interface FieldProps {
  label: ReactNode;
  error?: string;
  hint?: ReactNode;
  /** The one input, select or textarea this field labels; it receives id and aria wiring. */
  children: ReactElement<Record<string, unknown>>;
}

/** A labelled form control with its hint and its inline error, wired for assistive technology. */
export function Field({ label, error, hint, children }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, { id, "aria-invalid": error ? true : undefined, "aria-describedby": describedBy })}
      {hint && (
        <small id={hintId} className="muted">
          {hint}
        </small>
      )}
      {error && (
        <small id={errorId} className="field-error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}

/**
 * The form-level error of a failed request: whatever no field in `shownFields` already displays. When the
 * request never reached Tollgate, a "Try again" button submits the form once more.
 */
export function FormError({ error, shownFields }: { error: unknown; shownFields: readonly string[] }) {
  const message = formError(error, shownFields);
  if (!message) return null;
  return (
    <div className="form-error-row">
      <p className="form-error" role="alert">
        {message}
      </p>
      {isNetworkError(error) && (
        <button type="submit" className="small-button">
          Try again
        </button>
      )}
    </div>
  );
}
