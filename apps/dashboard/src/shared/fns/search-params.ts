/** Search params as Next.js hands them to a page. */
export type SearchParams = Record<string, string | string[] | undefined>;

/** The first value of a query parameter, or undefined when absent or empty. */
export function firstParam(params: SearchParams, name: string): string | undefined {
  const value = params[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === "" ? undefined : first;
}

/** A path with a query string built from the defined entries, in the order given. */
export function withQuery(path: string, entries: readonly (readonly [string, string | undefined])[]): string {
  const query = new URLSearchParams();
  for (const [name, value] of entries) if (value !== undefined && value !== "") query.append(name, value);
  const text = query.toString();
  return text === "" ? path : `${path}?${text}`;
}
