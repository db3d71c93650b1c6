import type { Metadata } from "next";
import Link from "next/link";
import { RequestedRunId } from "../../../features/run/components/RequestedRunId";

/**
 * The title names the missing run too: Next.js answers 404 but does not server-render the
 * not-found body of a dynamic route (vercel/next.js#62228), so without JavaScript the page body
 * is empty and the title is what says so. With JavaScript the body below renders.
 */
export const metadata: Metadata = { title: "Run not found · Tracewright" };

/** An unknown run id: say so, and show the id that was asked for. */
export default function RunNotFound() {
  return (
    <main id="main" className="page">
      <section className="empty-state" data-testid="run-not-found">
        <h1>Run not found</h1>
        <p>
          The trace store has no run with id <RequestedRunId />.
        </p>
        <p className="muted">
          It may not have been recorded on this machine, or its spans have not reached the collector yet. <Link href="/">See every run</Link>.
        </p>
      </section>
    </main>
  );
}
