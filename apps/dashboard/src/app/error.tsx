"use client";

import Link from "next/link";

/** A failure reading the store (a locked or newer database, a disk error): say so, offer a retry. */
export default function ErrorPage({ error, retry }: { error: unknown; retry?: () => void }) {
  const digest = typeof error === "object" && error !== null && "digest" in error ? String((error as { digest: unknown }).digest) : undefined;
  return (
    <main id="main" className="page">
      <section className="empty-state" data-testid="error-state" role="alert">
        <h1>Could not read the trace store</h1>
        <p>The server logged the cause{digest === undefined ? "" : ` (reference ${digest})`}. Check that the database is readable and was written by this version of Tracewright.</p>
        <p>
          {retry === undefined ? null : (
            <button type="button" onClick={() => retry()}>
              Try again
            </button>
          )}{" "}
          <Link href="/">Back to runs</Link>
        </p>
      </section>
    </main>
  );
}
