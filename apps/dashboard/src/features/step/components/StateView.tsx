"use client";

import { useState } from "react";
import { formatBytes } from "../../../shared/fns/format";
import type { StatePayload } from "../types";
import { JsonView } from "./JsonView";

type Loaded = Exclude<StatePayload, { kind: "large" }>;

/** Fetches a large state when asked; the caller keeps what came back. */
export async function fetchState(url: string): Promise<Loaded> {
  const response = await fetch(url, { headers: { accept: "application/json" } });
  if (!response.ok) throw new Error(`The server answered ${response.status} for ${url}.`);
  return (await response.json()) as Loaded;
}

/** One recorded state: a JSON viewer, recorded text in a `<pre>`, or a button to load a large one. */
export function StateView({ title, state, testId, onLoaded }: { title: string; state: StatePayload; testId: string; onLoaded?: (loaded: Loaded) => void }) {
  const [loaded, setLoaded] = useState<Loaded | undefined>(undefined);
  const [status, setStatus] = useState<"idle" | "loading" | string>("idle");
  const shown: StatePayload = loaded ?? state;
  const load = (url: string): void => {
    setStatus("loading");
    fetchState(url).then(
      (value) => {
        setLoaded(value);
        setStatus("idle");
        onLoaded?.(value);
      },
      (error: unknown) => setStatus(error instanceof Error ? error.message : String(error)),
    );
  };
  return (
    <section className="state" aria-label={title}>
      <h3>
        {title}
        <span className="muted small">
          {" "}
          · {formatBytes(shown.bytes)}
          {shown.kind === "text" ? " · text" : shown.kind === "json" ? " · JSON" : " · large"}
        </span>
      </h3>
      {shown.kind === "json" ? (
        <JsonView value={shown.value} testId={testId} label={title} />
      ) : shown.kind === "text" ? (
        <pre className="json" data-testid={testId} tabIndex={0}>
          {shown.text}
        </pre>
      ) : (
        <div className="large-state" data-testid={testId} data-large="true">
          <p className="muted">This state is {formatBytes(shown.bytes)}: it is loaded only when asked for.</p>
          <button type="button" onClick={() => load(shown.url)} disabled={status === "loading"} data-testid={`${testId}-load`}>
            {status === "loading" ? "Loading…" : `Load ${formatBytes(shown.bytes)}`}
          </button>
          {status !== "idle" && status !== "loading" ? (
            <p className="error-message" role="alert">
              {status}
            </p>
          ) : null}
        </div>
      )}
    </section>
  );
}
