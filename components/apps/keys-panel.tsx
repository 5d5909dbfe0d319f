"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import {
  ACTIONS,
  DEFAULT_CHANNEL_PATTERNS,
  DEFAULT_PUBLISHABLE_KEY_ACTIONS,
  DEFAULT_SECRET_KEY_ACTIONS,
  SECRET_KEY_ONLY_ACTIONS,
  Limits,
  type Action,
} from "@tollgate/relay/protocol";
import { useState, type FormEvent } from "react";
import { ApiError, apiFetch, fieldError } from "@/components/api";
import type { Key, KeyKind } from "@/components/api-types";
import { type PatternLine, patternErrorOf, patternLinesOf, patternWarningsOf } from "@/components/apps/channel-pattern-lines";
import { KeyList } from "@/components/apps/key-list";
import { queryKeys, useKeys } from "@/components/apps/queries";
import { CopyButton } from "@/components/ui/copy-button";
import { ErrorState } from "@/components/ui/error-state";
import { Field, FormError } from "@/components/ui/field";
import { SkeletonBlock } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { formatPropagationDelay, type RelayPropagation } from "@/components/relay-propagation";

interface Revealed {
  key: Key;
  secret: string | null;
  reason: "created" | "rolled";
}

export function KeysPanel({ appId, propagation }: { appId: string; propagation: RelayPropagation }) {
  const keys = useKeys(appId);
  const [creating, setCreating] = useState(false);
  const [revealed, setRevealed] = useState<Revealed | null>(null);
  const limit = keys.data?.limit ?? Limits.maxKeysPerApp;
  const count = keys.data?.count ?? 0;
  const atCap = keys.data !== undefined && count >= limit;

  return (
    <section className="stack" aria-labelledby="keys-heading">
      <div className="section-header">
        <h2 id="keys-heading">
          API keys{" "}
          {keys.data && (
            <span className={`count-badge ${atCap ? "at-cap" : ""}`} data-testid="key-count" aria-label={`${count} of ${limit} keys used`}>
              {count} / {limit}
            </span>
          )}
        </h2>
        <button
          type="button"
          className="primary"
          onClick={() => {
            setRevealed(null);
            setCreating(true);
          }}
          disabled={atCap || creating || keys.isPending}
          aria-describedby={atCap ? "key-cap-explanation" : undefined}
        >
          Create key
        </button>
      </div>
      {atCap && (
        <p id="key-cap-explanation" className="banner banner-warning" role="status">
          This app has {limit} active keys, the most an app can have. Revoke a key you no longer use to create another.
        </p>
      )}
      {revealed && <RevealedSecret revealed={revealed} propagation={propagation} onDone={() => setRevealed(null)} />}
      {creating && !atCap && (
        <CreateKeyForm
          appId={appId}
          onCancel={() => setCreating(false)}
          onCreated={(result) => {
            setCreating(false);
            setRevealed({ ...result, reason: "created" });
          }}
        />
      )}
      {keys.isPending ? (
        <SkeletonBlock rows={4} label="Loading keys" />
      ) : keys.isError ? (
        <ErrorState error={keys.error} onRetry={() => void keys.refetch()} />
      ) : keys.data.keys.length === 0 ? (
        <div className="empty">
          <p>No keys yet. Create a secret key to mint tokens from your backend, or a publishable key for browsers.</p>
        </div>
      ) : (
        <KeyList appId={appId} propagation={propagation} keys={keys.data.keys} onRolled={(result) => setRevealed({ ...result, reason: "rolled" })} />
      )}
    </section>
  );
}

function RevealedSecret({ revealed, propagation, onDone }: { revealed: Revealed; propagation: RelayPropagation; onDone(): void }) {
  const { key, secret } = revealed;
  return (
    <div className="card reveal" role="region" aria-label="New key">
      <h3>{revealed.reason === "rolled" ? `Rolled “${key.name}”` : `Created “${key.name}”`}</h3>
      {secret ? (
        <p className="banner banner-warning">Copy the signing secret now. It is shown only this once; Tollgate keeps only a hash and an encrypted copy for the relays.</p>
      ) : (
        <p className="muted">A publishable key is its own credential: use it in browsers with the SDK&apos;s apiKey option.</p>
      )}
      <dl className="secret-list">
        <div>
          <dt>{key.kind === "secret" ? "Key id (kid)" : "Publishable key"}</dt>
          <dd>
            <code data-testid="revealed-key-id">{key.id}</code> <CopyButton text={key.id} label="key id" />
          </dd>
        </div>
        {secret && (
          <div>
            <dt>Signing secret</dt>
            <dd>
              <code data-testid="revealed-secret">{secret}</code> <CopyButton text={secret} label="signing secret" />
            </dd>
          </div>
        )}
      </dl>
      <p className="muted small">Relays accept a new key {formatPropagationDelay(propagation)}.</p>
      <button type="button" onClick={onDone}>
        {secret ? "I have stored the secret" : "Done"}
      </button>
    </div>
  );
}

function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function CreateKeyForm({ appId, onCancel, onCreated }: { appId: string; onCancel(): void; onCreated(result: { key: Key; secret: string | null }): void }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [kind, setKind] = useState<KeyKind>("secret");
  const [name, setName] = useState("");
  const [patterns, setPatterns] = useState(DEFAULT_CHANNEL_PATTERNS.join("\n"));
  const [actions, setActions] = useState<Action[]>([...DEFAULT_SECRET_KEY_ACTIONS]);
  const [origins, setOrigins] = useState("");
  const [localError, setLocalError] = useState<{ field: string; message: string } | null>(null);

  const patternLines = patternLinesOf(patterns);
  const create = useMutation({
    // The lines sent stay with the request (create.variables), so an error names the line it was about.
    mutationFn: (sentPatterns: PatternLine[]) =>
      apiFetch<{ key: Key; secret: string | null }>(`/api/apps/${encodeURIComponent(appId)}/keys`, {
        method: "POST",
        body: {
          kind,
          name: name.trim(),
          channelPatterns: sentPatterns.map((entry) => entry.pattern),
          actions,
          ...(kind === "publishable" ? { allowedOrigins: splitList(origins) } : {}),
        },
      }),
    onSuccess: (result) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.keys(appId) });
      toast.show(`Key “${result.key.name}” created`);
      onCreated(result);
    },
  });

  function chooseKind(next: KeyKind) {
    setKind(next);
    setActions([...(next === "secret" ? DEFAULT_SECRET_KEY_ACTIONS : DEFAULT_PUBLISHABLE_KEY_ACTIONS)]);
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) return setLocalError({ field: "name", message: "Give the key a name so you can recognise it later" });
    if (patternLines.length === 0) return setLocalError({ field: "channelPatterns", message: "Add at least one channel pattern (** allows every channel)" });
    if (actions.length === 0) return setLocalError({ field: "actions", message: "Pick at least one action" });
    setLocalError(null);
    create.mutate(patternLines);
  }

  const errorFor = (field: string) => (localError?.field === field ? localError.message : fieldError(create.error, field));
  const patternError = localError?.field === "channelPatterns" ? localError.message : patternErrorOf(create.error, create.variables ?? []);
  const patternWarnings = patternWarningsOf(patternLines);
  // The server names one pattern as `channelPatterns.<index>`: shown under the patterns, not again below the form.
  const shownFields = ["name", "kind", "channelPatterns", "actions", "allowedOrigins", ...(create.error instanceof ApiError && create.error.field?.startsWith("channelPatterns.") ? [create.error.field] : [])];

  return (
    <form className="card form-grid" onSubmit={onSubmit} aria-label="Create key" noValidate>
      <h3>New key</h3>
      <fieldset className="radio-row">
        <legend>Kind</legend>
        <label className="inline">
          <input type="radio" name="kind" checked={kind === "secret"} onChange={() => chooseKind("secret")} /> Secret — signs tokens on your server
        </label>
        <label className="inline">
          <input type="radio" name="kind" checked={kind === "publishable"} onChange={() => chooseKind("publishable")} /> Publishable — used directly by browsers
        </label>
      </fieldset>
      <Field label="Name" error={errorFor("name")}>
        <input value={name} onChange={(event) => setName(event.target.value)} maxLength={100} placeholder="e.g. production backend" autoFocus />
      </Field>
      <Field
        label="Channel patterns"
        error={patternError}
        hint={
          <>
            One per line. <code>/</code> separates segments, as in <code>chat/room-1</code>: <code>*</code> matches within one segment, <code>**</code> across
            segments (<code>chat/**</code> matches <code>chat/a/b</code>). Letter case and spaces count.
            {patternWarnings.map((warning) => (
              <span key={warning} className="field-warning" data-testid="pattern-warning">
                {warning}
              </span>
            ))}
          </>
        }
      >
        <textarea value={patterns} onChange={(event) => setPatterns(event.target.value)} rows={2} />
      </Field>
      <fieldset className="checkbox-row" aria-describedby={errorFor("actions") ? "actions-error" : undefined}>
        <legend>Allowed actions</legend>
        {ACTIONS.filter((action) => kind === "secret" || !SECRET_KEY_ONLY_ACTIONS.includes(action)).map((action) => (
          <label className="inline" key={action}>
            <input
              type="checkbox"
              checked={actions.includes(action)}
              onChange={(event) => setActions((current) => (event.target.checked ? [...current, action] : current.filter((a) => a !== action)))}
            />{" "}
            {action}
          </label>
        ))}
        {errorFor("actions") && (
          <small id="actions-error" className="field-error" role="alert">
            {errorFor("actions")}
          </small>
        )}
      </fieldset>
      {kind === "publishable" && (
        <Field label="Allowed origins" hint="One per line, e.g. https://example.com. Leave empty to allow any origin." error={errorFor("allowedOrigins")}>
          <textarea value={origins} onChange={(event) => setOrigins(event.target.value)} rows={2} />
        </Field>
      )}
      <FormError error={create.error} shownFields={shownFields} />
      <div className="actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create key"}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
