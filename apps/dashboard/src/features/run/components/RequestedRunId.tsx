"use client";

import { usePathname } from "next/navigation";

/**
 * The run id in the address, for the not-found page (which gets no route params). Rendered on
 * the server too, so it shows without JavaScript; printed as text only.
 */
export function RequestedRunId() {
  const pathname = usePathname();
  const segment = pathname.split("/").filter(Boolean)[1] ?? "";
  let id = segment;
  try {
    id = decodeURIComponent(segment);
  } catch {
    // Not valid percent-encoding: show it as it came.
  }
  return <code data-testid="requested-run-id">{id}</code>;
}
