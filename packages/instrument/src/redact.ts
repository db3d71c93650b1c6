/**
 * Redaction, on by default: secrets are masked before a state is hashed, recorded or exported.
 *
 * - Keys named like a secret (password, passwd, secret, client_secret, secret_key, token,
 *   access_token, authToken, api_key/apiKey/x-api-key, authorization, credentials, private_key,
 *   cookie, session_id, aws_secret_access_key…, case-insensitive, with any prefix in snake, kebab,
 *   dotted or camel case — dbPassword, openaiApiKey, githubToken; `inputTokens` and other counts
 *   are not) have their value replaced by `"[REDACTED]"`, whatever it is: in plain objects, in an
 *   Error's own fields, and as a Map's string keys.
 * - String values that look like a secret anywhere have the secret part replaced: AWS access key
 *   ids (`AKIA…`/`ASIA…`), bearer tokens (`Bearer …`), PEM private keys, and the common
 *   `sk-…`, `sk_live_…`/`rk_live_…` (Stripe), `whsec_…`, `ghp_…`, `xox…-` token shapes.
 * - `paths` (`$.user.email`, `$.items[*].card`) and a `custom(value, path)` function can mask more;
 *   they run on the parsed state, so they cost only when configured.
 * - If redaction itself fails, the whole value is masked (`{"$type":"Redacted","reason":…}`):
 *   never leaked.
 *
 * Replay works on redacted runs: the recording is what replay serves, so the agent receives the
 * masked values where secrets were. Code that only passes a secret along replays the same; code
 * that needs the secret's content diverges at that step, and the report says where.
 */
export interface RedactionOptions {
  /** Default: true. `false` records states exactly as given. */
  enabled?: boolean;
  /** More key names to mask (exact, case-insensitive) or patterns to match keys against. */
  keys?: readonly (string | RegExp)[];
  /** More value patterns to mask inside strings (use the `g` flag). */
  patterns?: readonly RegExp[];
  /** JSON paths whose values are masked: `$.a.b`, `$.list[*].c`, `$.list[0]`. */
  paths?: readonly string[];
  /** Returns the value to record at `path` (e.g. a hash of an email), or the value unchanged. */
  custom?: (value: unknown, path: string) => unknown;
}

export const MASK = "[REDACTED]";

const SECRET_KEY = /^(?:.*[-_.])?(?:pass(?:word|wd|phrase)?|secret|client[-_]?secret|secret[-_]?key|token|api[-_]?key|authorization|credentials?|private[-_]?key|cookie|set-cookie|session[-_]?id|access[-_]?key(?:[-_]?id)?|secret[-_]?access[-_]?key)$|(?:auth|access|refresh|id|session|bearer|csrf)[-_]?token$/i;

/**
 * Whether a key is named like a secret, in any case style: `db_password` and `dbPassword`,
 * `openai_api_key` and `openaiApiKey` (a camelCase name is also read with its words split), while
 * `inputTokens` stays a count.
 */
function secretNamed(name: string): boolean {
  const words = /[a-z0-9][A-Z]/.test(name) ? name.replace(/([a-z0-9])([A-Z])/g, "$1_$2") : undefined;
  if (!SECRET_KEY.test(name) && (words === undefined || !SECRET_KEY.test(words))) return false;
  return !NOT_A_SECRET.test(words ?? name);
}

/**
 * Names a secret's word ends but that hold none: a pagination cursor or an idempotency token
 * (`NextToken`, `page_token`, `clientRequestToken`, which replay must hand back as recorded) and
 * a flag about a secret (`hasPassword`, `isSecret`, `withCredentials`).
 */
const NOT_A_SECRET = /^(?:.*[-_.])?(?:next|page|next[-_]?page|continuation|pagination|cursor|sync|resume|start|stop|end|eos|bos|cancel|cancellation|client|request|client[-_]?request|idempotency)[-_]?token$|^(?:has|is|with|did|should|use|needs|requires?)[-_.]/i;

/** The secret shapes. A new one needs its fixed part in {@link mayHoldSecret} too (its scans and {@link SECRET_PART}), and its shortest match no shorter than {@link SHORTEST_SECRET}. */
const SECRET_VALUE = [
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
  /\bBearer\s+[A-Za-z0-9\-._~+/]+=*/g,
  // To its END line, looked for no further than the next BEGIN: ending at END alone, each of n
  // headers with no END was scanned to the end of the text, O(n²). A key with no END (cut short)
  // is a secret all the same: masked with the base64 and white space after its header, which stop
  // at the first character a key has not — a quote, a parenthesis — or at a backslash escaping a
  // quote, so that a JSON text or a stack around it keeps the rest.
  /-----BEGIN [A-Z ]*PRIVATE KEY-----(?:(?:(?!-----BEGIN )[\s\S])*?-----END [A-Z ]*PRIVATE KEY-----|(?:[A-Za-z0-9+/=\s]|\\(?!"))*)/g,
  /\bsk-[A-Za-z0-9_-]{20,}\b/g,
  /\b[sr]k_(?:live|test)_[A-Za-z0-9]{10,}\b/g,
  /\bwhsec_[A-Za-z0-9+/=]{10,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g,
  /\bxox[abpr]-[A-Za-z0-9-]{10,}\b/g,
];

/** The shortest text a secret shape matches: `Bearer x`. A shorter string holds none. */
const SHORTEST_SECRET = 8;

/**
 * Whether any string inside a JSON text may hold a secret shape. `false` proves none does: each
 * shape has a fixed part made of letters, digits, `-`, `_` and spaces, which JSON never escapes,
 * so a string holding it shows it verbatim in the text. `true` may be a false alarm (the part
 * sits in a key, or a string too short to be masked): the caller then asks {@link Redactor.text}
 * of each string. Six `indexOf` scans for the ten shapes (those that end in `_` share one scan
 * for it, `AKIA` and `ASIA` one for `IA`): a scan the processor does at memory speed for needles
 * that start with a rare character, where one regex over a long text costs a third of the
 * JSON.stringify that made it.
 */
export function mayHoldSecret(json: string): boolean {
  if (json.length < SHORT_TEXT) return SECRET_PART.test(json);
  if (json.includes("Bearer") || json.includes("xox") || json.includes("PRIVATE KEY")) return true;
  // `AKIA`, `ASIA`: searched from their `IA`.
  for (let i = json.indexOf("IA"); i !== -1; i = json.indexOf("IA", i + 2)) if (i >= 2 && json.charCodeAt(i - 2) === 65 /* A */ && (json.charCodeAt(i - 1) === 75 /* K */ || json.charCodeAt(i - 1) === 83 /* S */)) return true;
  // `sk-`: searched from its rarer `k`.
  for (let i = json.indexOf("k-"); i !== -1; i = json.indexOf("k-", i + 2)) if (i > 0 && json.charCodeAt(i - 1) === 115) return true;
  // `k_live_`, `k_test_`, `whsec_`, `gh[pousr]_`: all four searched from the underscore, in one scan.
  for (let i = json.indexOf("_"); i !== -1; i = json.indexOf("_", i + 1)) {
    const before = json.charCodeAt(i - 1);
    if (before === 107 /* k */ && (json.startsWith("live_", i + 1) || json.startsWith("test_", i + 1))) return true;
    if (before === 99 /* c */ && i >= 5 && json.startsWith("whsec", i - 5)) return true;
    if (i >= 3 && json.charCodeAt(i - 3) === 103 && json.charCodeAt(i - 2) === 104 && "pousr".includes(json.charAt(i - 1))) return true;
  }
  return false;
}

/**
 * {@link mayHoldSecret}'s fixed parts as one regex: on a text shorter than {@link SHORT_TEXT},
 * faster than its scans (a fifth of their cost at 16 characters: their calls, not their
 * reading, are the cost); past it, slower (twice at 512, five times at 10 KB).
 */
const SECRET_PART = /AKIA|ASIA|Bearer|xox|PRIVATE KEY|k_live_|k_test_|whsec_|sk-|gh[pousr]_/;
const SHORT_TEXT = 192;

/** The compiled form the serializer consults on its hot path. */
export interface Redactor {
  key(name: string): boolean;
  /** The string with secrets masked, or the same string when it holds none. */
  text(value: string): string;
  /** {@link mayHoldSecret}, widened to `true` when custom patterns are configured (they can match anything). */
  screen(json: string): boolean;
  /** The post-pass for paths and the custom function, if configured. */
  post?: (value: unknown) => unknown;
}

export function compileRedaction(options: RedactionOptions = {}): Redactor | undefined {
  if (options.enabled === false) return undefined;
  const extraKeys = new Set((options.keys ?? []).filter((k): k is string => typeof k === "string").map((k) => k.toLowerCase()));
  // A key pattern tests one name at a time: without `g` or `y`, whose lastIndex would carry over
  // from one name to the next (and the memo below would keep the miss). A value pattern masks
  // every match: with `g`, added when it was left out.
  const keyPatterns = (options.keys ?? []).filter((k): k is RegExp => k instanceof RegExp).map((p) => new RegExp(p.source, p.flags.replace(/[gy]/g, "")));
  const valuePatterns = [...SECRET_VALUE, ...(options.patterns ?? []).map((p) => (p.flags.includes("g") ? p : new RegExp(p.source, `${p.flags}g`)))];
  const custom = options.patterns !== undefined && options.patterns.length > 0;
  // Keys repeat across states: each name is judged once (a memo bounded in names, and in their
  // length: a longer name, rare, is judged each time it is met).
  const judged = new Map<string, boolean>();
  return {
    key: (name) => {
      let secret = judged.get(name);
      if (secret === undefined) {
        secret = secretNamed(name) || extraKeys.has(name.toLowerCase()) || keyPatterns.some((p) => p.test(name));
        if (name.length > 256) return secret;
        if (judged.size >= 10_000) judged.clear();
        judged.set(name, secret);
      }
      return secret;
    },
    text: (value) => {
      // A cheap screen first: most strings hold none of the shapes.
      if (!custom && (value.length < SHORTEST_SECRET || !mayHoldSecret(value))) return value;
      let out = value;
      for (const pattern of valuePatterns) {
        pattern.lastIndex = 0;
        out = out.replace(pattern, MASK);
      }
      return out;
    },
    screen: custom ? () => true : mayHoldSecret,
    ...(options.paths === undefined && options.custom === undefined ? {} : { post: postPass(options.paths ?? [], options.custom) }),
  };
}

/** Masks configured paths and applies the custom function, iteratively over the parsed state. */
function postPass(paths: readonly string[], custom: RedactionOptions["custom"]): (value: unknown) => unknown {
  const matchers = paths.map(toMatcher);
  return (root) => {
    const holder: Record<string, unknown> = { $: root };
    const stack: { parent: Record<string, unknown> | unknown[]; key: string | number; path: string }[] = [{ parent: holder, key: "$", path: "$" }];
    while (stack.length > 0) {
      const { parent, key, path } = stack.pop() as (typeof stack)[number];
      let value = (parent as Record<string | number, unknown>)[key];
      if (matchers.some((m) => m.test(path))) {
        (parent as Record<string | number, unknown>)[key] = MASK;
        continue;
      }
      if (custom !== undefined) {
        value = custom(value, path);
        (parent as Record<string | number, unknown>)[key] = value;
      }
      if (Array.isArray(value)) value.forEach((_, i) => stack.push({ parent: value as unknown[], key: i, path: `${path}[${i}]` }));
      else if (value !== null && typeof value === "object") for (const k of Object.keys(value)) stack.push({ parent: value as Record<string, unknown>, key: k, path: `${path}.${k}` });
    }
    return holder.$;
  };
}

/** Path segments: `$.a[0].b` → `["a", "[0]", "b"]`; `[*]` in a pattern matches any index. */
function segments(path: string): string[] {
  return [...path.matchAll(/\.([^.[\]]+)|(\[(?:\d+|\*)\])/g)].map((m) => m[1] ?? m[2] ?? "");
}

function toMatcher(path: string): { test(candidate: string): boolean } {
  const pattern = segments(path);
  return {
    test(candidate) {
      const parts = segments(candidate);
      return parts.length === pattern.length && pattern.every((p, i) => p === parts[i] || (p === "[*]" && /^\[\d+\]$/.test(parts[i] ?? "")));
    },
  };
}
