"use client";

import Link from "next/link";

/** A failure reading the source (a locked or newer database, a disk error, CloudWatch Logs out of reach): say so, offer a retry. */
export default function ErrorPage({ error, retry }: { error: unknown; retry?: () => void }) {
  const digest = typeof error === "object" && error !== null && "digest" in error ? String((error as { digest: unknown }).digest) : undefined;
  return (
    <main id="main" className="page">
      <section className="empty-state" data-testid="error-state" role="alert">
        <h1>Could not read the trace store</h1>
        <p>
          The server logged the cause{digest === undefined ? "" : ` (reference ${digest})`}. The top bar names the source read. For the local store, check that the database is readable and was written by this version of Tracewright; for CloudWatch Logs, check
          the region, the credentials and the endpoint (<code>AWS_REGION</code>, <code>AWS_ENDPOINT_URL_CLOUDWATCH_LOGS</code>) and that the log group exists (<code>TRACEWRIGHT_LOG_GROUP</code>).
        </p>
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
