import { isLeaf, isPlainJson, setKeyJudge } from "./plain.js";
import { compileRedaction, MASK } from "./redact.js";
import type { RedactionOptions, Redactor } from "./redact.js";

/** The redaction in force: on by default; `init({ redact })` replaces it. */
let redactor: Redactor | undefined;
setRedaction(undefined);

/** Sets the redaction applied to every state from now on (see redact.ts). */
export function setRedaction(options: RedactionOptions | undefined): void {
  redactor = compileRedaction(options);
  setKeyJudge(redactor?.key);
}

/** A free text (an error message, a stack) with secret-looking parts masked. */
export function redactText(text: string): string {
  try {
    return redactor === undefined ? text : redactor.text(text);
  } catch {
    return MASK;
  }
}

/**
 * The safe serializer: any JavaScript value to JSON, never a throw (STYLE.md §4).
 *
 * - Object keys keep the order the value holds them in — the order `JSON.stringify` writes and
 *   `JSON.parse` restores — so replay hands the agent back a state as it was: code that writes a
 *   served result into a prompt (`JSON.stringify(result)`) writes the same text again. Arrays keep
 *   their order. Two states equal but for the order of their keys are the same state to replay
 *   ({@link sameJson}, shared.ts).
 * - Values JSON cannot carry become tagged objects that {@link revive} turns back into the
 *   value, so replay hands the agent what it was handed when recorded:
 *   `{"$type":"BigInt","value":"12"}`, `Date`, `Map` (`entries`), `Set` (`values`), `Error`
 *   (`name`, `message`, `stack`, own fields, `cause`, an AggregateError's `errors`), `RegExp`
 *   (`source`, `flags`), `undefined` (in arrays and at the top),
 *   `Number` (`NaN`, `Infinity`, `-Infinity`), typed arrays, `ArrayBuffer`, `DataView` and Buffers
 *   (`base64`).
 * - What cannot be carried is marked, never dropped silently: `Circular` (with the JSON path of
 *   the ancestor it points to), `Function`, `Symbol`, `Unserializable` (with the reason, e.g. a
 *   getter that threw).
 *
 * A user object that itself has a `$type` key is serialized as it is; {@link revive} only
 * rewrites objects whose `$type` is one of the tags above and whose other keys are the tag's
 * (an `Error` tag: a string `name` and `message`; its other keys are the error's own fields).
 */
export function serialize(value: unknown): string {
  return finish(plainJson(value) ?? generalJson(value));
}

/**
 * {@link serialize} through its general path alone: what the fast path is tested against
 * (serialize.property.test.ts). Not exported by the package.
 */
export function serializeGeneral(value: unknown): string {
  return finish(generalJson(value));
}

/**
 * {@link serialize}'s fast path alone, before the configured paths and custom function: the
 * text, or undefined when the value needs the general path. For tests; not exported by the package.
 */
export function serializeFast(value: unknown): string | undefined {
  return plainJson(value);
}

/** The general path: a replacer that tags and redacts, and the slow path when that throws. */
function generalJson(value: unknown): string {
  try {
    return JSON.stringify(value, replacer) ?? UNDEFINED_JSON;
  } catch (error) {
    // A cycle, a throwing getter or toJSON, a Proxy trap, a structure deeper than the stack — or
    // redaction failing, which the slow path meets again and masks the whole value for.
    return serializeSlow(value, error);
  }
}

/** The configured path and custom redaction, on the parsed text (they cost only when configured). */
function finish(text: string): string {
  const post = redactor?.post;
  if (post === undefined) return text;
  try {
    return JSON.stringify(post(JSON.parse(text)), replacer) ?? UNDEFINED_JSON;
  } catch (error) {
    return redactionFailed(error);
  }
}

function redactionFailed(error: unknown): string {
  return JSON.stringify({ $type: "Redacted", reason: `redaction failed: ${describe(error)}` });
}


/**
 * The fast path, for the common state: plain objects and arrays of strings, finite numbers,
 * booleans and null — what JSON itself can carry. One walk ({@link isPlainJson}, plain.ts)
 * proves the value is that, and the native JSON.stringify writes it. Redaction: a secret-named
 * key sends the value to the general path, which masks it; secret-shaped strings are screened
 * for once, over the whole text, and only a hit asks about each string. Anything else — a Date,
 * a Map, a class instance, undefined in an array, NaN, a `__proto__` key, a structure deeper
 * than `MAX_DEPTH` (plain.ts), a getter that throws — returns undefined and the general path
 * takes the value. The text is byte for byte the general path's (serialize.property.test.ts
 * checks it on generated values). A getter runs at least twice (the walk, then the write), and
 * again when its record is walked as of a shape it turned out not to have.
 */
function plainJson(value: unknown): string | undefined {
  try {
    let text: string | undefined;
    if (typeof value !== "object" || value === null) {
      if (!isLeaf(value)) return undefined;
      text = JSON.stringify(value);
    } else {
      if (prototypeHasEnumerable() || !isPlainJson(value)) return undefined;
      text = JSON.stringify(value);
    }
    if (redactor !== undefined && redactor.screen(text) && holdsSecretText(value, redactor)) return undefined;
    return text;
  } catch {
    return undefined;
  }
}

/** A property added to Object.prototype as enumerable would show in every object's for…in. */
function prototypeHasEnumerable(): boolean {
  for (const key in Object.prototype) if (key !== undefined) return true;
  return false;
}

/**
 * Whether redaction would change a string inside a plain value (one {@link isPlainJson}
 * accepted). Only asked when the screen hits, so it can afford to look at every own property,
 * non-enumerable ones too (more than is written: it may only decline too often).
 */
function holdsSecretText(value: unknown, redaction: Redactor): boolean {
  if (typeof value === "string") return redaction.text(value) !== value;
  if (value === null || typeof value !== "object") return false;
  for (const key of Object.getOwnPropertyNames(value)) if (holdsSecretText((value as Record<string, unknown>)[key], redaction)) return true;
  return false;
}

/** Parses serialized JSON and restores the tagged values to what they stood for. */
export function revive(json: string): unknown {
  const value = JSON.parse(json, reviver) as unknown;
  return value === UNDEFINED_ITEM ? undefined : value;
}

/**
 * What the reviver answers for an `undefined` tag in an array (or at the top): answered
 * `undefined`, JSON.parse would delete the item, leaving a hole that `map` and `forEach` skip
 * where the agent had a value. The array puts `undefined` in its place once its items are revived.
 */
const UNDEFINED_ITEM = Symbol("undefined item");

const UNDEFINED_JSON = '{"$type":"undefined"}';

type Tagged = { $type: string; [key: string]: unknown };

function tagged(value: unknown): Tagged | undefined {
  switch (typeof value) {
    case "bigint":
      return { $type: "BigInt", value: value.toString() };
    case "number":
      return Number.isFinite(value) ? undefined : { $type: "Number", value: String(value) };
    case "function":
      return { $type: "Function", name: value.name };
    case "symbol":
      return { $type: "Symbol", description: value.description ?? "" };
    default:
      return undefined;
  }
}

/**
 * The hot path: called by JSON.stringify for every value, so the common cases (strings,
 * numbers, booleans, plain objects and arrays) are decided first and cheaply. A Date reaches
 * here already turned into its ISO string by `toJSON`, so only a string of that shape is
 * checked against the holder's original value.
 */
function replacer(this: unknown, key: string, value: unknown): unknown {
  switch (typeof value) {
    case "string":
      // YYYY-MM-DDT… or, for years outside 0–9999, ±YYYYYY-MM-DDT…
      if (value.length >= 24 && (value.charCodeAt(10) === 84 /* T */ || value.charCodeAt(13) === 84) && (this as Record<string, unknown>)[key] instanceof Date) return dateTag((this as Record<string, Date>)[key] as Date);
      return redactor === undefined ? value : redactor.text(value);
    case "number":
      return Number.isFinite(value) ? value : { $type: "Number", value: String(value) };
    case "boolean":
      return value;
    case "undefined":
      // Inside an object JSON drops the key, as a plain JSON.stringify would (a field named ""
      // too); in an array the position matters, so it is kept. At the top, JSON.stringify
      // returns undefined and the caller writes the tag.
      return Array.isArray(this) ? { $type: "undefined" } : undefined;
    case "object": {
      if (value === null) {
        const raw = (this as Record<string, unknown>)[key];
        return raw instanceof Date ? dateTag(raw) : null;
      }
      if (Array.isArray(value)) return value;
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null) {
        // A Buffer reaches here already turned by its toJSON into `{ type, data }`: the holder still has it.
        const raw = (this as Record<string, unknown>)[key];
        return raw !== value && ArrayBuffer.isView(raw) ? bytesTag(raw) : maskedKeys(value as Record<string, unknown>);
      }
      if (value instanceof RegExp) return regExpTag(value);
      if (value instanceof Map) return { $type: "Map", entries: mapEntries(value) };
      if (value instanceof Set) return { $type: "Set", values: [...value.values()] };
      if (value instanceof Error) return errorTag(value);
      if (ArrayBuffer.isView(value)) return bytesTag(value);
      if (value instanceof ArrayBuffer) return arrayBufferTag(value);
      return maskedKeys(value as Record<string, unknown>);
    }
    default:
      return tagged(value);
  }
}

function dateTag(date: Date): Tagged {
  const time = date.getTime();
  return { $type: "Date", value: Number.isNaN(time) ? null : date.toISOString() };
}

function regExpTag(re: RegExp): Tagged {
  return { $type: "RegExp", source: re.source, flags: re.flags };
}

/**
 * An Error as a tag: its name, message, stack and own fields — through {@link maskedKeys}, as a
 * plain object's are, so that a secret-named field (`token`, `apiKey` on an SDK's error) is
 * masked. (JSON.stringify does not pass the object a replacer returns back through the
 * replacer: the tag must be finished here.)
 */
function errorTag(error: Error): Record<string, unknown> {
  const out: Tagged = { $type: "Error", name: error.name, message: error.message };
  if (error.stack !== undefined) out.stack = error.stack;
  const keys = Object.keys(error);
  // (An own `$type` or `$keys` field would unmake the tag: not recorded.)
  for (const key of keys) if (!ERROR_OWN.has(key) && key !== "$type" && key !== "$keys") out[key] = (error as unknown as Record<string, unknown>)[key];
  // An AggregateError's errors are its own, but not enumerable.
  if (error instanceof AggregateError && Array.isArray(error.errors)) out.errors = error.errors;
  if ("cause" in error && error.cause !== undefined) out.cause = error.cause;
  // An error that holds its name, message, stack or cause as an enumerable field of its own (an
  // SDK's error sets its `name` so) shows it in `JSON.stringify(error)` and `{ ...error }`: its
  // enumerable keys, in their order, so that a revived error shows the same.
  if (keys.some((key) => ERROR_OWN.has(key))) out.$keys = keys;
  return maskedKeys(out);
}

/** An error's fields the tag writes whether or not they are enumerable: which are is kept in `$keys`. */
const ERROR_OWN = new Set(["name", "message", "stack", "cause"]);

/** A Map's entries as pairs, the value of a secret-named string key masked (a headers map, a credentials map). */
function mapEntries(map: Map<unknown, unknown>): [unknown, unknown][] {
  const entries: [unknown, unknown][] = [];
  for (const [key, value] of map) entries.push([key, redactor !== undefined && typeof key === "string" && redactor.key(key) ? MASK : value]);
  return entries;
}

function bytesTag(view: ArrayBufferView): Tagged {
  const bytes = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  return { $type: view.constructor.name, base64: bytes.toString("base64") };
}

function arrayBufferTag(buffer: ArrayBuffer): Tagged {
  return { $type: "ArrayBuffer", base64: Buffer.from(buffer).toString("base64") };
}

/** The object itself, or, when a key is secret-named, a copy with its value masked (keys in their order). */
function maskedKeys(object: Record<string, unknown>): Record<string, unknown> {
  if (redactor === undefined) return object;
  const keys = Object.keys(object);
  let secret = false;
  for (let i = 0; i < keys.length && !secret; i++) secret = redactor.key(keys[i] as string);
  if (!secret) return object;
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const field = redactor.key(key) ? MASK : object[key];
    // A `__proto__` key (JSON.parse makes them) is data: assigned, it would set the copy's prototype.
    if (key === "__proto__") Object.defineProperty(out, key, { value: field, enumerable: true, writable: true, configurable: true });
    else out[key] = field;
  }
  return out;
}

/**
 * The slow path: an explicit-stack walk that copies the value into plain JSON, marking cycles
 * and anything that throws when read. Iterative, so depth is bounded by memory, not the stack.
 */
function serializeSlow(root: unknown, first: unknown): string {
  try {
    return emit(toPlain(root));
  } catch (error) {
    // Never leak: if masking failed, nothing of the value is recorded.
    if (redactor !== undefined) return redactionFailed(first ?? error);
    return JSON.stringify({ $type: "Unserializable", reason: describe(error) });
  }
}

/** Writes a plain copy (from {@link toPlain}) as JSON, iteratively. */
function emit(root: unknown): string {
  const out: string[] = [];
  const stack: { value: Record<string, unknown> | unknown[]; keys: string[]; index: number; array: boolean }[] = [];
  const write = (value: unknown, inArray: boolean): boolean => {
    if (value === undefined) {
      if (!inArray && stack.length > 0) return false;
      out.push(UNDEFINED_JSON);
      return true;
    }
    if (value === null || typeof value !== "object") {
      const tag = tagged(value);
      out.push(tag === undefined ? JSON.stringify(typeof value === "string" && redactor !== undefined ? redactor.text(value) : value) : JSON.stringify(tag));
      return true;
    }
    const array = Array.isArray(value);
    out.push(array ? "[" : "{");
    const keys = Object.keys(value);
    stack.push({ value: value as Record<string, unknown>, keys, index: 0, array });
    return true;
  };
  write(root, false);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as (typeof stack)[number];
    if (frame.index >= frame.keys.length) {
      stack.pop();
      out.push(frame.array ? "]" : "}");
      continue;
    }
    const first = frame.index === 0;
    const key = frame.keys[frame.index++] as string;
    const value = (frame.value as Record<string, unknown>)[key];
    if (!frame.array && value === undefined) continue;
    const mark = out.length;
    if (!first && out[out.length - 1] !== "{" && out[out.length - 1] !== "[") out.push(",");
    if (!frame.array) out.push(`${JSON.stringify(key)}:`);
    if (!write(value, frame.array)) out.length = mark;
  }
  return out.join("");
}

interface Frame {
  source: object;
  target: Record<string, unknown> | unknown[];
  keys: string[];
  index: number;
  path: string;
}

/**
 * The value as a plain copy, iteratively. A cycle is found through the ancestors of the value
 * being copied — each object on the way from the root to it, with its JSON path — kept in a Map,
 * so that a structure N levels deep is copied in time proportional to N, not N².
 */
function toPlain(root: unknown): unknown {
  const ancestors = new Map<object, string>();
  const rootCopy = plainShallow(root, "$", ancestors);
  if (rootCopy.frame === undefined) return rootCopy.value;
  const stack: Frame[] = [rootCopy.frame];
  /** The object each frame of `stack` stands for (a Map's, not its entries'), to leave `ancestors` with it. */
  const owners: object[] = [root as object];
  ancestors.set(root as object, "$");
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame;
    if (frame.index >= frame.keys.length) {
      stack.pop();
      ancestors.delete(owners.pop() as object);
      continue;
    }
    const key = frame.keys[frame.index++] as string;
    if (!Array.isArray(frame.target) && redactor !== undefined && redactor.key(key)) {
      assign(frame.target, key, MASK);
      continue;
    }
    const path = Array.isArray(frame.target) ? `${frame.path}[${key}]` : `${frame.path}.${key}`;
    let child: unknown;
    try {
      child = (frame.source as Record<string, unknown>)[key];
    } catch (error) {
      assign(frame.target, key, { $type: "Unserializable", reason: describe(error) });
      continue;
    }
    const copy = plainShallow(child, path, ancestors);
    assign(frame.target, key, copy.value);
    if (copy.frame !== undefined) {
      stack.push(copy.frame);
      owners.push(child as object);
      ancestors.set(child as object, path);
    }
  }
  return rootCopy.value;
}

function assign(target: Record<string, unknown> | unknown[], key: string, value: unknown): void {
  if (Array.isArray(target)) target[Number(key)] = value;
  else target[key] = value;
}

/** One level of {@link toPlain}: leaves and tags directly; containers as a frame to fill. */
function plainShallow(value: unknown, path: string, ancestors: ReadonlyMap<object, string>): { value: unknown; frame?: Frame } {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return { value };
  if (typeof value === "function") return { value: tagged(value) };
  const ancestor = ancestors.get(value);
  if (ancestor !== undefined) return { value: { $type: "Circular", path: ancestor } };
  try {
    if (value instanceof Date) return { value: dateTag(value) };
    if (value instanceof RegExp) return { value: regExpTag(value) };
    if (value instanceof Map) return container(value, { $type: "Map", entries: [] }, mapEntries(value), path);
    if (value instanceof Set) return container(value, { $type: "Set", values: [] }, [...value.values()], path);
    if (value instanceof Error) return container(value, {}, errorTag(value), path);
    if (ArrayBuffer.isView(value)) return { value: bytesTag(value) };
    if (value instanceof ArrayBuffer) return { value: arrayBufferTag(value) };
    if (Array.isArray(value)) {
      const target: unknown[] = new Array<unknown>(value.length);
      return { value: target, frame: { source: value, target, keys: Object.keys(value), index: 0, path } };
    }
    const target: Record<string, unknown> = {};
    return { value: target, frame: { source: value, target, keys: Object.keys(value), index: 0, path } };
  } catch (error) {
    return { value: { $type: "Unserializable", reason: describe(error) } };
  }
}

/** A Map, Set or Error: its tag object is walked in place of it, keeping it on the ancestor path. */
function container(source: object, tag: Tagged | Record<string, never>, contents: unknown, path: string): { value: unknown; frame: Frame } {
  if (Array.isArray(contents)) {
    const list: unknown[] = new Array<unknown>(contents.length);
    const field = (tag as Tagged).$type === "Map" ? "entries" : "values";
    (tag as Tagged)[field] = list;
    return { value: tag, frame: { source: contents, target: list, keys: Object.keys(contents), index: 0, path: `${path}.${field}` } };
  }
  const target: Record<string, unknown> = {};
  return { value: target, frame: { source: contents as object, target, keys: Object.keys(contents as object), index: 0, path } };
}

function describe(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    return "unknown error";
  }
}

const TAGS = new Set(["BigInt", "Date", "RegExp", "Map", "Set", "Error", "undefined", "Number", "Buffer", "ArrayBuffer", "DataView", "Uint8Array", "Uint8ClampedArray", "Int8Array", "Uint16Array", "Int16Array", "Uint32Array", "Int32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"]);

function reviver(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (value[i] === UNDEFINED_ITEM) value[i] = undefined;
    return value;
  }
  // In an object, an `undefined` field is dropped, as JSON drops it (serialize never writes one there).
  for (const key in value) if ((value as Record<string, unknown>)[key] === UNDEFINED_ITEM) delete (value as Record<string, unknown>)[key];
  const tag = (value as Tagged).$type;
  if (typeof tag !== "string" || !TAGS.has(tag)) return value;
  // A recording is untrusted: a tag this serializer never wrote (`BigInt` of "abc", a `Map` of
  // entries that are no pairs, a `Float64Array` of 3 bytes) stays the object it is, never a throw.
  try {
    return reviveTagged(tag, value as Tagged);
  } catch {
    return value;
  }
}

/** Whether a tag has exactly these keys, as serialize writes it: a user's object that merely has a `$type` key is left as it is. */
function shaped(v: Tagged, ...keys: string[]): boolean {
  const own = Object.keys(v);
  return own.length === keys.length + 1 && keys.every((key) => Object.hasOwn(v, key));
}

function reviveTagged(tag: string, v: Tagged): unknown {
  switch (tag) {
    case "BigInt":
      return typeof v.value === "string" && shaped(v, "value") ? BigInt(v.value) : v;
    case "Date":
      return (typeof v.value === "string" || v.value === null) && shaped(v, "value") ? new Date(typeof v.value === "string" ? v.value : Number.NaN) : v;
    case "Map":
      return Array.isArray(v.entries) && shaped(v, "entries") ? new Map(v.entries as [unknown, unknown][]) : v;
    case "Set":
      return Array.isArray(v.values) && shaped(v, "values") ? new Set(v.values as unknown[]) : v;
    case "undefined":
      return shaped(v) ? UNDEFINED_ITEM : v;
    case "Number":
      return (v.value === "NaN" || v.value === "Infinity" || v.value === "-Infinity") && shaped(v, "value") ? Number(v.value) : v;
    case "RegExp":
      return shaped(v, "source", "flags") ? reviveRegExp(v) : v;
    case "Error":
      // serialize writes every error's name and message; other fields are the error's own.
      return typeof v.name === "string" && typeof v.message === "string" ? reviveError(v) : v;
    default:
      return typeof v.base64 === "string" && shaped(v, "base64") ? reviveBytes(tag, v.base64) : v;
  }
}

function reviveRegExp(v: Tagged): unknown {
  // (An invalid pattern or flags throw: the reviver keeps the tag.)
  return typeof v.source !== "string" || typeof v.flags !== "string" ? v : new RegExp(v.source, v.flags);
}

/** The built-in error classes, by name: a revived TypeError is a TypeError (`instanceof` and all). */
const ERROR_CLASSES: Record<string, ErrorConstructor> = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };

function reviveError(v: Tagged): Error {
  const aggregate = v.name === "AggregateError" && Array.isArray(v.errors);
  // Made without a message or cause, so that every field is defined below, in order.
  const error = aggregate ? new AggregateError(v.errors as unknown[]) : new (Object.hasOwn(ERROR_CLASSES, v.name as string) ? (ERROR_CLASSES[v.name as string] as ErrorConstructor) : Error)();
  const listed = Array.isArray(v.$keys) ? (v.$keys as unknown[]).filter((key): key is string => typeof key === "string" && key !== "$type" && key !== "$keys" && Object.hasOwn(v, key)) : undefined;
  // Without `$keys`, name, message, stack and cause are not enumerable (as the constructors make
  // them) and every other field is, in the tag's order.
  const keys = listed === undefined ? undefined : new Set(listed);
  const enumerable = (key: string): boolean => (keys === undefined ? !ERROR_OWN.has(key) : keys.has(key));
  const fields = Object.keys(v).filter((key) => key !== "$type" && key !== "$keys" && !(key === "errors" && aggregate));
  const define = (key: string, on: boolean): void => void Object.defineProperty(error, key, { value: v[key], writable: true, configurable: true, enumerable: on });
  for (const key of fields) if (!enumerable(key)) define(key, false);
  for (const key of listed ?? fields) if (enumerable(key)) define(key, true);
  return error;
}

function reviveBytes(tag: string, base64: string): unknown {
  const bytes = Buffer.from(base64, "base64");
  if (tag === "Buffer") return bytes;
  if (tag === "ArrayBuffer") return new Uint8Array(bytes).buffer;
  if (tag === "DataView") return new DataView(new Uint8Array(bytes).buffer);
  const ctor = (globalThis as unknown as Record<string, new (buffer: ArrayBufferLike, offset: number, length: number) => unknown>)[tag];
  if (ctor === undefined) return bytes;
  const copy = new Uint8Array(bytes).buffer;
  const width = (ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  // Bytes that are no whole number of elements were never written by serialize: the reviver keeps the tag.
  if (copy.byteLength % width !== 0) throw new RangeError(`${copy.byteLength} bytes are no whole number of ${tag} elements`);
  return new ctor(copy, 0, copy.byteLength / width);
}
