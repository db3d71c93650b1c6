import Link from "next/link";

export default function NotFound() {
  return (
    <main id="main" className="page">
      <section className="empty-state" data-testid="not-found">
        <h1>Page not found</h1>
        <p>
          Nothing lives at this address. <Link href="/">See every run</Link>.
        </p>
      </section>
    </main>
  );
}
