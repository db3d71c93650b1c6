/**
 * The serializer's writer for plain values whose object keys are out of canonical order (see
 * serialize.ts, `plainJson`). Native `JSON.stringify` writes keys in insertion order; given a
 * sorted property list it writes them in the list's order, but through V8's slow path, which
 * looks every listed key up in every object (a key an object lacks costs as much as a field). This writer
 * instead walks the value once and writes it in canonical order itself, by concatenation:
 *
 * - Each distinct key sequence (a shape: `id,score,text,tags`) is judged once — its canonical
 *   order, its keys' JSON text, whether a key is secret-named or `__proto__` — and cached. The
 *   records of a list share one shape, so a record costs a check of its keys (for…in, compared
 *   with the shape's, no allocation) and one read per field.
 * - A shape used often is compiled into a function that reads its fields by name (`o["id"]`), so
 *   V8's inline caches serve a list of same-shaped records; a shape seen a few times only (a
 *   dictionary keyed by ids, whose key sequence is new every call) is written by a loop instead,
 *   never compiled.
 * - A leaf is written as `JSON.stringify` would: a string with nothing JSON escapes (`"`, `\`,
 *   controls, surrogates — paired ones too, to stay simple) as itself between quotes, any other
 *   through `JSON.stringify`; a finite number as `String(n)` (the same text: ECMAScript's
 *   Number::toString, `-0` as `0`); booleans and null as themselves.
 *
 * Whatever is not plain JSON (a class instance, a `toJSON`, NaN, undefined in an array, a
 * function, a secret-named or `__proto__` key, a structure deeper than {@link MAX_DEPTH}) makes
 * the writer return undefined and the caller falls back. Only own enumerable string keys are
 * read, as by the general path; a getter is read once here. Strings are not screened for secret
 * shapes here: the caller screens the whole text.
 */

/** Deeper than this, the writer declines (the general path's slow path has no depth limit). */
export const MAX_DEPTH = 1000;

/** A key sequence's writer. */
interface Shape {
  /** The keys in for…in order: what an object must enumerate to be written by this shape. */
  keys: string[];
  /** The keys in canonical order, and the JSON text before each one's value (first, then later). */
  order: string[];
  first: string[];
  later: string[];
  /** A key is secret-named or `__proto__`: every object of this shape needs the general path. */
  declines: boolean;
  /** Objects written by the loop so far; at {@link COMPILE_AFTER}, compiled. */
  uses: number;
  compiled: ((o: Record<string, unknown>, depth: number) => string | undefined) | undefined;
}

/** A shape is compiled once it has written this many objects (over any number of calls). */
const COMPILE_AFTER = 32;
/** The shape cache's bound: past it, it starts again (states of unbounded key sets, e.g. keyed by ids). */
const MAX_SHAPES = 2048;

let shapes = new Map<string, Shape>();
/** By depth, the last shape written there: the next record there most likely has it too. */
let recent: (Shape | undefined)[] = [];
let judge: ((key: string) => boolean) | undefined;

/** Sets which keys are secret-named (redaction's judgment), forgetting the shapes judged by the last one. */
export function setKeyJudge(secret: ((key: string) => boolean) | undefined): void {
  judge = secret;
  shapes = new Map();
  recent = [];
}

/** `value` (an object or array) as canonical JSON, or undefined when it is not plain JSON. */
export function writeCanonical(value: object): string | undefined {
  return Array.isArray(value) ? writeArray(value, 0) : writeObject(value as Record<string, unknown>, 0);
}

/** Nothing in it needs escaping in JSON: no `"`, `\`, control character or surrogate. */
// eslint-disable-next-line no-control-regex -- control characters are what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

function writeValue(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case "string":
      return quote(value);
    case "number":
      return Number.isFinite(value) ? String(value) : undefined;
    case "boolean":
      return value ? "true" : "false";
    case "object":
      if (value === null) return "null";
      return Array.isArray(value) ? writeArray(value, depth) : writeObject(value as Record<string, unknown>, depth);
    default:
      // undefined (in an array: the general path writes a tag), a function, a symbol, a bigint.
      return undefined;
  }
}

function writeArray(array: unknown[], depth: number): string | undefined {
  if (depth >= MAX_DEPTH || (array as { toJSON?: unknown }).toJSON !== undefined) return undefined;
  let out = "[";
  for (let i = 0; i < array.length; i++) {
    const item = array[i];
    if (i > 0) out += ",";
    if (typeof item === "string") {
      out += quote(item);
    } else {
      const text = writeValue(item, depth + 1);
      if (text === undefined) return undefined;
      out += text;
    }
  }
  return `${out}]`;
}

function writeObject(object: Record<string, unknown>, depth: number): string | undefined {
  if (depth >= MAX_DEPTH || object.toJSON !== undefined) return undefined;
  const proto: unknown = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const shape = shapeOf(object, depth);
  if (shape.declines) return undefined;
  if (shape.compiled !== undefined) return shape.compiled(object, depth);
  if (++shape.uses >= COMPILE_AFTER) shape.compiled = compileOrLoop(shape);
  let out = "";
  for (let i = 0; i < shape.order.length; i++) {
    const field = object[shape.order[i] as string];
    // Dropped, as JSON and the general path drop it.
    if (field === undefined) continue;
    const text = writeValue(field, depth + 1);
    if (text === undefined) return undefined;
    out += (out === "" ? shape.first[i] : shape.later[i]) + text;
  }
  return out === "" ? "{}" : `${out}}`;
}

/** The object's shape: the last one met at this depth when its keys match, else the cached or a new one. */
function shapeOf(object: object, depth: number): Shape {
  const last = recent[depth];
  if (last !== undefined) {
    const keys = last.keys;
    let n = 0;
    let same = true;
    // for…in: the object's own enumerable string keys in order (plainJson checked that
    // Object.prototype has no enumerable property, and the prototype is it or null).
    for (const key in object) {
      if (keys[n] !== key) {
        same = false;
        break;
      }
      n++;
    }
    if (same && n === keys.length) return last;
  }
  const keys: string[] = [];
  for (const key in object) keys.push(key);
  const id = JSON.stringify(keys);
  let shape = shapes.get(id);
  if (shape === undefined) {
    shape = newShape(keys);
    if (shapes.size >= MAX_SHAPES) shapes = new Map();
    shapes.set(id, shape);
  }
  recent[depth] = shape;
  return shape;
}

function newShape(keys: string[]): Shape {
  const order = [...keys].sort(canonicalOrder);
  const names = order.map((key) => JSON.stringify(key));
  const declines = keys.some((key) => key === "__proto__" || key === "toJSON" || (judge !== undefined && judge(key)));
  return { keys, order, first: names.map((name) => `{${name}:`), later: names.map((name) => `,${name}:`), declines, uses: 0, compiled: undefined };
}

/**
 * {@link compile}, or undefined for good where the host forbids code from strings
 * (`--disallow-code-generation-from-strings`, a CSP): the loop then writes every object of the shape.
 */
function compileOrLoop(shape: Shape): Shape["compiled"] {
  try {
    return compile(shape);
  } catch {
    shape.uses = Number.NEGATIVE_INFINITY;
    return undefined;
  }
}

/**
 * The shape's writer as a function of its own, reading each field by name. The source holds only
 * JSON string literals of the keys (valid JavaScript string literals), nothing else from the data.
 */
function compile(shape: Shape): (o: Record<string, unknown>, depth: number) => string | undefined {
  let body = 'let out = "", v, t;\n';
  shape.order.forEach((key, i) => {
    const first = JSON.stringify(shape.first[i]);
    const later = JSON.stringify(shape.later[i]);
    body += `v = o[${JSON.stringify(key)}];
if (v !== undefined) {
  out += out === "" ? ${first} : ${later};
  if (typeof v === "string") out += quote(v);
  else if (typeof v === "number" && Number.isFinite(v)) out += String(v);
  else { t = writeValue(v, depth + 1); if (t === undefined) return undefined; out += t; }
}
`;
  });
  body += 'return out === "" ? "{}" : out + "}";';
  const make = new Function("quote", "writeValue", `return function writeShape(o, depth) {\n${body}\n};`) as (q: typeof quote, w: typeof writeValue) => (o: Record<string, unknown>, depth: number) => string | undefined;
  return make(quote, writeValue);
}

/**
 * An array index (`"0"` … `"4294967294"`): JavaScript lists such keys first, in numeric order,
 * whatever the insertion order, so the canonical order puts them there too.
 */
function isIndex(key: string): boolean {
  const c = key.charCodeAt(0);
  if (c < 48 || c > 57) return false;
  return (key === "0" || (c !== 48 && key.length <= 10 && /^\d+$/.test(key))) && Number(key) < 4294967295;
}

/** The order the general path writes keys in: indexes numerically, then the rest by UTF-16 code units. */
function canonicalOrder(a: string, b: string): number {
  const ai = isIndex(a);
  if (ai !== isIndex(b)) return ai ? -1 : 1;
  if (ai) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}
