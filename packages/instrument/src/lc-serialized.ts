/**
 * A LangChain object as its `toJSON` wrote it, and so as a recording holds it:
 * `{ lc: 1, type: "constructor", id: [..., "AIMessage"], kwargs }`. Its class's name (the last of
 * `id`) and its constructor's fields; undefined for anything else.
 */
export function langchainSerialized(value: unknown): { className: string; kwargs: Record<string, unknown> } | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const v = value as { lc?: unknown; type?: unknown; id?: unknown; kwargs?: unknown };
  if (v.lc !== 1 || v.type !== "constructor" || !Array.isArray(v.id) || v.kwargs === null || typeof v.kwargs !== "object" || Array.isArray(v.kwargs)) return undefined;
  const className: unknown = v.id[v.id.length - 1];
  return typeof className === "string" ? { className, kwargs: v.kwargs as Record<string, unknown> } : undefined;
}
