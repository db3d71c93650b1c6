"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";

/**
 * Re-renders the page from the server every `intervalMs` while it is shown; a page mounts this
 * only while something it shows is still running (a run's page, or a run list with a running
 * run), so polling stops once a refresh finds it ended.
 */
export function LiveRefresh({ intervalMs = 2000, until = "the run ends" }: { intervalMs?: number; until?: string }) {
  const router = useRouter();
  useEffect(() => {
    const timer = window.setInterval(() => router.refresh(), intervalMs);
    return () => window.clearInterval(timer);
  }, [router, intervalMs]);
  return (
    <p className="live muted small" role="status" data-testid="live-indicator">
      <span className="live-dot" aria-hidden="true" /> Live: refreshing every {Math.round(intervalMs / 1000)} s until {until}
    </p>
  );
}
