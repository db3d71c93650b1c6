"use client";

import { useEffect } from "react";

/**
 * Marks the document `data-hydrated` once React has hydrated the page: from then on its
 * handlers are attached and its inputs are React's. Browser automation (the e2e suite) waits for
 * it before it clicks or types, since input sent before hydration can be lost or overwritten.
 */
export function HydrationMark() {
  useEffect(() => {
    document.documentElement.setAttribute("data-hydrated", "");
  }, []);
  return null;
}
