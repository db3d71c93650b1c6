import type { Metadata, Viewport } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: "Tracewright",
  description: "Browse recorded agent runs, read every step's state, replay.",
};

export const viewport: Viewport = { colorScheme: "light" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
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
        </header>
        {children}
      </body>
    </html>
  );
}
