"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";

/** How long a live page polls without seeing anything change before it pauses: 10 min. */
export const LIVE_QUIET_MS = 10 * 60_000;

/**
 * Re-renders the page from the server every `intervalMs` while it is shown; a page mounts this
 * only while something it shows is still running (a run's page, or a run list with a running
 * run), so polling stops once a refresh finds it ended.
 *
 * A run whose process died never ends: its root never arrives, and it stays `running`. So the
 * page says what it shows in `version` (e.g. the run's step count and duration), and once that
 * has not changed for `quietMs` the polling pauses, saying so, with a button to resume it (a new
 * `version`, from a navigation or another refresh, resumes it too). A hidden tab does not poll
 * at all, and refreshes once on being shown again (a page of a 20,000-step run is megabytes,
 * fetched every 2 s by a forgotten tab).
 */
export function LiveRefresh({ intervalMs = 2000, until = "the run ends", version, quietMs = LIVE_QUIET_MS }: { intervalMs?: number; until?: string; version: string; quietMs?: number }) {
  const router = useRouter();
  const [paused, setPaused] = useState(false);
  const changedAt = useRef(Date.now());
  useEffect(() => {
    changedAt.current = Date.now();
    setPaused(false);
  }, [version]);
  useEffect(() => {
    if (paused) return;
    const timer = window.setInterval(() => {
      if (document.hidden) return;
      if (Date.now() - changedAt.current >= quietMs) setPaused(true);
      else router.refresh();
    }, intervalMs);
    const onVisibility = () => {
      if (document.hidden) return;
      // Back on the page: what it shows may be old, and the quiet time starts again.
      changedAt.current = Date.now();
      router.refresh();
    };
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisibility);
    };
  }, [router, intervalMs, quietMs, paused]);
  if (paused) {
    return (
      <p className="live muted small" role="status" data-testid="live-indicator" data-state="paused">
        Live refresh paused: nothing changed for {Math.round(quietMs / 60_000)} min (a run whose process stopped stays running).{" "}
        <button
          type="button"
          onClick={() => {
            changedAt.current = Date.now();
            setPaused(false);
            router.refresh();
          }}
        >
          Resume
        </button>
      </p>
    );
  }
  return (
    <p className="live muted small" role="status" data-testid="live-indicator" data-state="live">
      <span className="live-dot" aria-hidden="true" /> Live: refreshing every {Math.round(intervalMs / 1000)} s until {until}
    </p>
  );
}
