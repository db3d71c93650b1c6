/**
 * The serializer's fast path for plain values (see serialize.ts, `plainJson`): one walk proves a
 * value is plain JSON and puts it in canonical order. Native `JSON.stringify` writes keys in insertion order and writes
 * faster than any walk in JavaScript can (escaping strings included); so rather than write the
 * text itself, this walk makes a value that JSON.stringify writes in canonical order: the value
 * itself where every object in it already has its keys in order, and elsewhere a copy whose
 * objects were built with their keys in that order. Strings, numbers, and whatever is already in
 * order are shared, not copied: the copy costs a few small objects and arrays, and the text is
 * written once, natively. (A sorted property list, `JSON.stringify(value, keys)`, also writes in
 * the list's order, but through V8's slow path, which looks every listed key up in every object,
 * and it needs every key known first, and it reads keys that are not enumerable: measured, it
 * gains nothing.)
 *
 * - Each distinct key sequence (a shape: `id,score,text,tags`) is judged once — its canonical
 *   order, whether it already is in that order, whether a key is secret-named, `__proto__` or
 *   `toJSON` — and cached. The records of a list share one shape, so a record costs a check of
 *   its keys (for…in, compared with the shape's, no allocation) and one read per field.
 * - A shape used often is compiled into a function that reads its fields by name (`o["id"]`) and
 *   builds the copy as an object literal, so V8's inline caches serve a list of same-shaped
 *   records and every copy shares one hidden class, which JSON.stringify writes on its fast
 *   path; a shape seen a few times only (a dictionary keyed by ids, whose key sequence is new
 *   every call) is copied by a loop instead, never compiled.
 *
 * Whatever is not plain JSON (a class instance, a `toJSON`, NaN, undefined in an array, a
 * function, a secret-named or `__proto__` key, a structure deeper than {@link MAX_DEPTH}) makes
 * the walk return undefined and the caller falls back. Only own enumerable string keys are read,
 * as by the general path. A getter is read once here, and again by JSON.stringify where the
 * object is shared rather than copied. Strings are not screened for secret shapes here: the
 * caller screens the whole text.
 */

/** Deeper than this, the walk declines (the general path's slow path has no depth limit). */
export const MAX_DEPTH = 1000;

type Plain = Record<string, unknown>;

/** A key sequence's copier. */
interface Shape {
  /** The keys in for…in order: what an object must enumerate to be copied by this shape. */
  keys: string[];
  /** The keys in canonical order. */
  order: string[];
  /** The keys already are in canonical order: an object of this shape whose fields need no copy is itself. */
  sorted: boolean;
  /** A key is secret-named, `__proto__` or `toJSON`: every object of this shape needs the general path. */
  declines: boolean;
  /** Objects copied by the loop so far; at {@link COMPILE_AFTER}, compiled. */
  uses: number;
  compiled: ((o: Plain, depth: number) => object | undefined) | undefined;
}

/** A shape is compiled once it has copied this many objects (over any number of calls). */
const COMPILE_AFTER = 32;
/**
 * Wider shapes are never compiled: a literal of thousands of keys gains nothing over the loop
 * and takes V8 long to compile (≈ 100 ms at 5,000 keys, on the agent's path).
 */
const MAX_COMPILED_KEYS = 64;
/**
 * The shape cache's bounds, in shapes and in characters of their key sequences (each kept about
 * three times: its id, its keys, their order): past either, it starts again. States of unbounded
 * key sets — a dictionary keyed by ids, a new shape every call — would otherwise keep every one.
 */
const MAX_SHAPES = 2048;
const MAX_SHAPE_CHARS = 1 << 20;
/** A key sequence longer than this is judged afresh each time it is met, never kept. */
const MAX_KEPT_SHAPE_CHARS = 1 << 14;

let shapes = new Map<string, Shape>();
/** The characters of the cached shapes' ids. */
let shapeChars = 0;
/** By depth, the last shape met there: the next record there most likely has it too. */
let recent: (Shape | undefined)[] = [];
let judge: ((key: string) => boolean) | undefined;

/** Sets which keys are secret-named (redaction's judgment), forgetting the shapes judged by the last one. */
export function setKeyJudge(secret: ((key: string) => boolean) | undefined): void {
  judge = secret;
  shapes = new Map();
  shapeChars = 0;
  recent = [];
}

/** How many characters of key sequences the shape cache holds: for tests. Not exported by the package. */
export function cachedShapeChars(): number {
  return shapeChars;
}

/**
 * `value` (an object or array) as a value whose native JSON.stringify text is its canonical
 * JSON — itself, or a copy — or undefined when it is not plain JSON.
 */
export function canonicalCopy(value: object): object | undefined {
  return Array.isArray(value) ? copyArray(value, 0) : copyObject(value as Plain, 0);
}

/** A string, a finite number, a boolean or null: a leaf JSON writes as itself. */
export function isLeaf(value: unknown): boolean {
  return typeof value === "string" || typeof value === "boolean" || value === null || (typeof value === "number" && Number.isFinite(value));
}

/** An object or array inside a plain value, copied; undefined when it is not plain. */
function copyContainer(value: object, depth: number): object | undefined {
  return Array.isArray(value) ? copyArray(value, depth) : copyObject(value as Plain, depth);
}

function copyArray(array: unknown[], depth: number): unknown[] | undefined {
  if (depth >= MAX_DEPTH || (array as { toJSON?: unknown }).toJSON !== undefined) return undefined;
  // Leaves alone (tags, ids, numbers), the commonest array: itself, after one look at each.
  for (let i = 0; i < array.length; i++) {
    const item = array[i];
    if (typeof item === "string") continue;
    if (typeof item === "object" && item !== null) return copyItems(array, i, depth);
    // Undefined or a hole too: the general path records it as a tag, JSON as null.
    if (!isLeaf(item)) return undefined;
  }
  return array;
}

/** The array from its first container on (`from`): a copy when some container needed one, else itself. */
function copyItems(array: unknown[], from: number, depth: number): unknown[] | undefined {
  let copy: unknown[] | undefined;
  for (let i = from; i < array.length; i++) {
    const item = array[i];
    let out: unknown = item;
    if (typeof item === "object" && item !== null) {
      out = copyContainer(item, depth + 1);
      if (out === undefined) return undefined;
    } else if (!isLeaf(item)) {
      return undefined;
    }
    if (copy !== undefined) {
      copy.push(out);
    } else if (out !== item) {
      copy = [];
      for (let j = 0; j < i; j++) copy.push(array[j]);
      copy.push(out);
    }
  }
  return copy ?? array;
}

function copyObject(object: Plain, depth: number): object | undefined {
  if (depth >= MAX_DEPTH || object.toJSON !== undefined) return undefined;
  const proto: unknown = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const shape = shapeOf(object, depth);
  if (shape.declines) return undefined;
  // A compiled copier builds an object literal: Object.prototype's. Null-prototype objects take the loop.
  if (shape.compiled !== undefined && proto !== null) return shape.compiled(object, depth);
  if (shape.compiled === undefined && ++shape.uses >= COMPILE_AFTER && shape.order.length <= MAX_COMPILED_KEYS) shape.compiled = compileOrLoop(shape);
  // Field by field: a shape not compiled (yet), or a null-prototype object.
  const order = shape.order;
  const values: unknown[] = [];
  let changed = !shape.sorted;
  for (let i = 0; i < order.length; i++) {
    const field = object[order[i] as string];
    let out = field;
    if (typeof field === "object" && field !== null) {
      out = copyContainer(field, depth + 1);
      if (out === undefined) return undefined;
      if (out !== field) changed = true;
    } else if (field !== undefined && !isLeaf(field)) {
      // (An undefined field is dropped, by JSON and by the general path alike.)
      return undefined;
    }
    values.push(out);
  }
  if (!changed) return object;
  // Keys added in canonical order: JSON.stringify enumerates them so (index-like keys first
  // whatever the order, which the canonical order puts first too).
  const copy: Plain = proto === null ? (Object.create(null) as Plain) : {};
  for (let i = 0; i < order.length; i++) copy[order[i] as string] = values[i];
  return copy;
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
    // Not cached, but the last one at its depth all the same (one a depth): a list of such wide records shares it.
    if (id.length > MAX_KEPT_SHAPE_CHARS) return (recent[depth] = shape);
    if (shapes.size >= MAX_SHAPES || shapeChars + id.length > MAX_SHAPE_CHARS) {
      shapes = new Map();
      shapeChars = 0;
    }
    shapes.set(id, shape);
    shapeChars += id.length;
  }
  recent[depth] = shape;
  return shape;
}

function newShape(keys: string[]): Shape {
  const order = [...keys].sort(canonicalOrder);
  const declines = keys.some((key) => key === "__proto__" || key === "toJSON" || (judge !== undefined && judge(key)));
  return { keys, order, sorted: order.every((key, i) => key === keys[i]), declines, uses: 0, compiled: undefined };
}

/**
 * {@link compile}, or undefined for good where the host forbids code from strings
 * (`--disallow-code-generation-from-strings`, a CSP): the loop then copies every object of the shape.
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
 * The shape's copier as a function of its own, reading each field by name and building the copy
 * as one object literal. The source holds only JSON string literals of the keys (valid
 * JavaScript string literals and property names), nothing else from the data. It is called for
 * objects whose prototype is Object.prototype, a literal's.
 */
function compile(shape: Shape): (o: Plain, depth: number) => object | undefined {
  let body = "let changed = false, t;\n";
  shape.order.forEach((key, i) => {
    body += `let v${i} = o[${JSON.stringify(key)}];
if (typeof v${i} === "object") {
  if (v${i} !== null) { t = copyContainer(v${i}, depth + 1); if (t === undefined) return undefined; if (t !== v${i}) { changed = true; v${i} = t; } }
} else if (v${i} !== undefined && !isLeaf(v${i})) return undefined;
`;
  });
  if (shape.sorted) body += "if (!changed) return o;\n";
  body += `return {${shape.order.map((key, i) => `${JSON.stringify(key)}: v${i}`).join(", ")}};`;
  const make = new Function("copyContainer", "isLeaf", `return function copyShape(o, depth) {\n${body}\n};`) as (c: typeof copyContainer, l: typeof isLeaf) => (o: Plain, depth: number) => object | undefined;
  return make(copyContainer, isLeaf);
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
