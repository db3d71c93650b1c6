/**
 * The serializer's fast path for plain values (see serialize.ts, `plainJson`): one walk proves a
 * value is plain JSON, which the native `JSON.stringify` then writes as it is — keys in the
 * order the value holds them, faster than any writer in JavaScript (escaping strings included).
 * The walk allocates nothing.
 *
 * Each distinct key sequence (a shape: `id,score,text,tags`) is judged once — whether a key is
 * secret-named, `__proto__` or `toJSON` — and cached. The records of a list share one shape, so
 * a record costs a for…in over its keys, compared with the shape's, and a look at each field.
 *
 * Whatever is not plain JSON (a class instance, a `toJSON`, NaN, undefined in an array, a
 * function, a secret-named or `__proto__` key, a structure deeper than {@link MAX_DEPTH}) makes
 * the walk answer false and the caller falls back to the general path. Only own enumerable
 * string keys are read, as by the general path. A getter is read here, and again by
 * JSON.stringify. Strings are not screened for secret shapes here: the caller screens the whole
 * text.
 */

/** Deeper than this, the walk declines (the general path's slow path has no depth limit). */
export const MAX_DEPTH = 1000;

type Plain = Record<string, unknown>;

/** A key sequence, judged. */
interface Shape {
  /** The keys in for…in order: what an object must enumerate to be of this shape. */
  keys: string[];
  /** A key is secret-named, `__proto__` or `toJSON`: every object of this shape needs the general path. */
  declines: boolean;
}

/**
 * The shape cache's bounds, in shapes and in characters of their key sequences: past either, it
 * starts again. States of unbounded key sets — a dictionary keyed by ids, a new shape every
 * call — would otherwise keep every one.
 */
const MAX_SHAPES = 2048;
const MAX_SHAPE_CHARS = 1 << 20;
/** A key sequence longer than this is judged afresh each time it is met, never kept. */
const MAX_KEPT_SHAPE_CHARS = 1 << 14;

let shapes = new Map<string, Shape>();
/** The characters of the cached shapes' ids. */
let shapeChars = 0;
/** By depth, the last shape met there (the next record there most likely has it too), and the one before it. */
let recent: (Shape | undefined)[] = [];
let older: (Shape | undefined)[] = [];
let judge: ((key: string) => boolean) | undefined;

/** Sets which keys are secret-named (redaction's judgment), forgetting the shapes judged by the last one. */
export function setKeyJudge(secret: ((key: string) => boolean) | undefined): void {
  judge = secret;
  shapes = new Map();
  shapeChars = 0;
  recent = [];
  older = [];
}

/** How many characters of key sequences the shape cache holds: for tests. Not exported by the package. */
export function cachedShapeChars(): number {
  return shapeChars;
}

/** Whether `value` (an object or array) is plain JSON, which the native JSON.stringify writes as the serializer would. */
export function isPlainJson(value: object): boolean {
  return Array.isArray(value) ? plainArray(value, 0) : plainObject(value as Plain, 0);
}

/** A string, a finite number, a boolean or null: a leaf JSON writes as itself. */
export function isLeaf(value: unknown): boolean {
  return typeof value === "string" || typeof value === "boolean" || value === null || (typeof value === "number" && Number.isFinite(value));
}

function plainArray(array: unknown[], depth: number): boolean {
  if (depth >= MAX_DEPTH || (array as { toJSON?: unknown }).toJSON !== undefined) return false;
  for (let i = 0; i < array.length; i++) {
    const item = array[i];
    if (typeof item === "string") continue;
    if (typeof item === "object" && item !== null) {
      if (!(Array.isArray(item) ? plainArray(item, depth + 1) : plainObject(item as Plain, depth + 1))) return false;
    } else if (!isLeaf(item)) {
      // Undefined or a hole too: the general path records it as a tag, JSON as null.
      return false;
    }
  }
  return true;
}

function plainObject(object: Plain, depth: number): boolean {
  if (depth >= MAX_DEPTH || object.toJSON !== undefined) return false;
  const proto: unknown = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) return false;
  const last = recent[depth];
  if (last !== undefined) {
    const judged = plainAs(object, last, depth);
    if (judged !== MISMATCH) return judged === PLAIN;
    // A step's input and its output most often differ in shape: the one before is tried too.
    const before = older[depth];
    if (before !== undefined) {
      const again = plainAs(object, before, depth);
      if (again !== MISMATCH) {
        older[depth] = last;
        recent[depth] = before;
        return again === PLAIN;
      }
    }
  }
  return plainFields(object, shapeOf(object, depth), depth);
}

const PLAIN = 0;
const NOT_PLAIN = 1;
const MISMATCH = 2;

/**
 * An object judged as being of `shape`: plain, not, or not of that shape. for…in gives the
 * object's own enumerable string keys in order (plainJson checked that Object.prototype has no
 * enumerable property, and the prototype is it or null). The fields are looked at as the keys are
 * compared: a record of a known shape is judged in one pass.
 */
function plainAs(object: Plain, shape: Shape, depth: number): typeof PLAIN | typeof NOT_PLAIN | typeof MISMATCH {
  const keys = shape.keys;
  let n = 0;
  for (const key in object) {
    if (keys[n] !== key) return MISMATCH;
    n++;
    const field = object[key];
    if (typeof field === "object") {
      if (field !== null && !(Array.isArray(field) ? plainArray(field, depth + 1) : plainObject(field as Plain, depth + 1))) return NOT_PLAIN;
    } else if (field !== undefined && typeof field !== "string" && !isLeaf(field)) {
      // (An undefined field is dropped, by JSON and by the general path alike.)
      return NOT_PLAIN;
    }
  }
  if (n !== keys.length) return MISMATCH;
  // Of a shape with a secret-named key (judged once, for the shape): the general path masks it.
  return shape.declines ? NOT_PLAIN : PLAIN;
}

/** An object's fields, once its shape is known. */
function plainFields(object: Plain, shape: Shape, depth: number): boolean {
  if (shape.declines) return false;
  for (const key of shape.keys) {
    const field = object[key];
    if (typeof field === "object") {
      if (field !== null && !(Array.isArray(field) ? plainArray(field, depth + 1) : plainObject(field as Plain, depth + 1))) return false;
    } else if (field !== undefined && !isLeaf(field)) {
      return false;
    }
  }
  return true;
}

/** The object's shape: the cached one for its key sequence, or a new one; the last one met at this depth from now on. */
function shapeOf(object: object, depth: number): Shape {
  const keys: string[] = [];
  for (const key in object) keys.push(key);
  const id = JSON.stringify(keys);
  let shape = shapes.get(id);
  if (shape === undefined) {
    shape = { keys, declines: keys.some((key) => key === "__proto__" || key === "toJSON" || (judge !== undefined && judge(key))) };
    // Not cached, but the last one at its depth all the same (one a depth): a list of such wide records shares it.
    if (id.length > MAX_KEPT_SHAPE_CHARS) {
      remember(shape, depth);
      return shape;
    }
    if (shapes.size >= MAX_SHAPES || shapeChars + id.length > MAX_SHAPE_CHARS) {
      shapes = new Map();
      shapeChars = 0;
    }
    shapes.set(id, shape);
    shapeChars += id.length;
  }
  remember(shape, depth);
  return shape;
}

/** `shape` as the last met at `depth`, the last one before it as the one before. */
function remember(shape: Shape, depth: number): void {
  if (recent[depth] !== shape) older[depth] = recent[depth];
  recent[depth] = shape;
}
