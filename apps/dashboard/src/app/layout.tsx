import type { Metadata, Viewport } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { SourceBadge } from "../features/store/components/SourceBadge";
import { HydrationMark } from "../shared/components/HydrationMark";
import { currentSource } from "../features/store/server/store";
import "./globals.css";

export const metadata: Metadata = {
  title: "Tracewright",
  description: "Browse recorded agent runs, read every step's state, replay.",
};

export const viewport: Viewport = { colorScheme: "light" };

/**
 * Every page reads the trace source at request time: nothing read from it (nor the source's name
 * in the top bar) is ever prerendered at build time.
 */
export const dynamic = "force-dynamic";

/** The source, or what is wrong with its settings, in the top bar of every page. */
function CurrentSource() {
  let source: Parameters<typeof SourceBadge>[0]["source"];
  try {
    source = currentSource();
  } catch (error) {
    source = { error: (error as Error).message };
  }
  return <SourceBadge source={source} />;
}

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <HydrationMark />
        <a href="#main" className="skip-link">
          Skip to content
        </a>
        <header className="topnav">
          <Link href="/" className="brand">
            <span className="brand-mark" aria-hidden="true">
              ◆
            </span>
            Tracewright
          </Link>
          <nav aria-label="Main">
            <Link href="/">Runs</Link>
            <Link href="/insights">Insights</Link>
          </nav>
          <CurrentSource />
        </header>
        {children}
      </body>
    </html>
  );
}
