import { ToolInputError, UpstreamError } from "../errors.js";
import { listDataFiles, memoize, readDataFile } from "./data.js";

/** A document of the bundled corpus. */
export interface CorpusDocument {
  /** `doc://` plus the file name without `.md`, e.g. `doc://pricing`. */
  id: string;
  title: string;
  /** The first paragraph under the title. */
  summary: string;
  /** The whole document, Markdown, title included. */
  text: string;
}

export interface WebSearchArgs {
  query: string;
  /** At most this many results, 1–10. Default: 5. */
  limit?: number;
}

export interface SearchHit {
  id: string;
  title: string;
  /** The sentence of the document that best matches the query. */
  snippet: string;
  /** Relevance, higher is better; comparable within one search only. */
  score: number;
}

export interface WebSearchResult {
  query: string;
  results: SearchHit[];
}

export interface FetchDocumentArgs {
  id: string;
}

const DOC_SCHEME = "doc://";
const TITLE_WEIGHT = 3;
const STOPWORDS = new Set(
  "a an and are as at be but by can for from has have how if in into is it its more most no not of on or per so such than that the their them then there these they this to too up use was what when which while who why will with you your".split(" "),
);

/** The bundled corpus, `data/corpus/*.md`, in file-name order. */
export const loadCorpus = memoize(async (): Promise<CorpusDocument[]> => {
  const files = await listDataFiles("corpus/", ".md");
  return Promise.all(files.map(async (file) => parseDocument(`${DOC_SCHEME}${file.slice(0, -".md".length)}`, await readDataFile(`corpus/${file}`))));
});

/** Splits a corpus file into title, summary and text. */
export function parseDocument(id: string, markdown: string): CorpusDocument {
  const text = markdown.replace(/\r\n/g, "\n").trim();
  const blocks = text.split(/\n\s*\n/);
  const heading = blocks[0] ?? "";
  const title = heading.startsWith("# ") ? heading.slice(2).trim() : id;
  const summaryBlock = heading.startsWith("# ") ? blocks[1] : blocks[0];
  return { id, title, summary: oneLine(summaryBlock ?? ""), text };
}

/**
 * Ranks the corpus against a query: term frequency weighted by inverse document frequency,
 * title terms counting three times. Ties go to the smaller id, so the order is total.
 */
export function searchCorpus(corpus: readonly CorpusDocument[], args: WebSearchArgs): WebSearchResult {
  const query = typeof args.query === "string" ? args.query.trim() : "";
  if (query === "") throw new ToolInputError("web_search: `query` must be a non-empty string");
  const limit = Math.min(10, Math.max(1, Math.trunc(args.limit ?? 5)));
  const terms = [...new Set(tokenize(query))];
  const indexed = corpus.map((doc) => ({ doc, counts: termCounts(doc) }));
  const idf = new Map(terms.map((term) => [term, Math.log(1 + corpus.length / (1 + indexed.filter((d) => d.counts.has(term)).length))]));
  const results = indexed
    .map(({ doc, counts }) => ({ doc, score: terms.reduce((sum, term) => sum + (counts.get(term) ?? 0) * (idf.get(term) ?? 0), 0) }))
    .filter((hit) => hit.score > 0)
    .sort((a, b) => b.score - a.score || compare(a.doc.id, b.doc.id))
    .slice(0, limit)
    .map(({ doc, score }) => ({ id: doc.id, title: doc.title, snippet: bestSentence(doc, terms), score: Math.round(score * 1000) / 1000 }));
  return { query, results };
}

/** Looks a document up by id; an unknown id is a 404, as a real fetch would answer. */
export function findDocument(corpus: readonly CorpusDocument[], args: FetchDocumentArgs): CorpusDocument {
  if (typeof args.id !== "string" || !args.id.startsWith(DOC_SCHEME)) {
    throw new ToolInputError(`fetch_document: \`id\` must be a ${DOC_SCHEME} address, got ${JSON.stringify(args.id)}`);
  }
  const doc = corpus.find((candidate) => candidate.id === args.id);
  if (doc === undefined) throw new UpstreamError("fetch_document", 404, args.id);
  return doc;
}

function termCounts(doc: CorpusDocument): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (term: string, weight: number) => counts.set(term, (counts.get(term) ?? 0) + weight);
  for (const term of tokenize(doc.title)) add(term, TITLE_WEIGHT);
  for (const term of tokenize(doc.text.slice(doc.text.indexOf("\n") + 1))) add(term, 1);
  return counts;
}

/** Lower-case words without stopwords, a trailing plural `s` dropped: "Prices" and "price" meet. */
function tokenize(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? [])
    .filter((word) => word.length > 1 && !STOPWORDS.has(word))
    .map((word) => (word.length > 3 && word.endsWith("s") && !word.endsWith("ss") ? word.slice(0, -1) : word));
}

function bestSentence(doc: CorpusDocument, terms: readonly string[]): string {
  const body = oneLine(doc.text.slice(doc.text.indexOf("\n") + 1));
  const sentences = body.split(/(?<=[.!?])\s+(?=[A-Z$])/);
  let best = sentences[0] ?? "";
  let bestHits = -1;
  for (const sentence of sentences) {
    const words = new Set(tokenize(sentence));
    const hits = terms.filter((term) => words.has(term)).length;
    if (hits > bestHits) {
      best = sentence;
      bestHits = hits;
    }
  }
  return best;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
