"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";

/**
 * Re-renders the page from the server every `intervalMs` while it is shown; the page mounts
 * this only for a run still running, so polling stops once a refresh finds it ended.
 */
export function LiveRefresh({ intervalMs = 2000 }: { intervalMs?: number }) {
  const router = useRouter();
  useEffect(() => {
    const timer = window.setInterval(() => router.refresh(), intervalMs);
    return () => window.clearInterval(timer);
  }, [router, intervalMs]);
  return (
    <p className="live muted small" role="status" data-testid="live-indicator">
      <span className="live-dot" aria-hidden="true" /> Live: refreshing every {Math.round(intervalMs / 1000)} s until the run ends
    </p>
  );
}
