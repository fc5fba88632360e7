/**
 * The syntax of HTTP header fields (RFC 9110 §5), checked where the gateway reads a head (the
 * client's request, the upstream's response) and where it writes one.
 */

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field names seen before, known to be tokens: the same few names repeat on every request. */
const VALID_NAMES = new Set<string>();
/** Field values: visible characters, spaces, tabs and obs-text; no CR, LF or NUL. */
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** Whether `name` is a token (a valid field name); answers from a bounded cache for names seen before. */
export function isFieldName(name: string): boolean {
  if (VALID_NAMES.has(name)) return true;
  if (!TOKEN.test(name)) return false;
  if (VALID_NAMES.size < 1000) VALID_NAMES.add(name);
  return true;
}

/** Whether `value` may be sent as a field value (no CR, LF, NUL or other control character). */
export function isFieldValue(value: string): boolean {
  return !INVALID_VALUE.test(value);
}

/**
 * Lower-case names that most heads carry, by length. A name read from a head that is one of
 * these (in any case) becomes the constant: no new string, no lower-casing, and a hash V8 has
 * already computed for every Set, Map and property lookup after.
 */
const COMMON_NAMES: string[][] = [];
for (const name of [
  "age",
  "date",
  "etag",
  "host",
  "vary",
  "accept",
  "cookie",
  "origin",
  "server",
  "expires",
  "location",
  "x-api-key",
  "connection",
  "keep-alive",
  "set-cookie",
  "user-agent",
  "traceparent",
  "content-type",
  "x-request-id",
  "authorization",
  "cache-control",
  "last-modified",
  "content-length",
  "accept-encoding",
  "accept-language",
  "content-encoding",
  "x-forwarded-for",
  "transfer-encoding",
  "x-forwarded-proto",
]) {
  const list = COMMON_NAMES[name.length] ?? [];
  list.push(name);
  COMMON_NAMES[name.length] = list;
}

/** The characters of `text` from `start` to `end`, lower-cased: a common name's constant when it is one. */
export function lowerCaseName(text: string, start: number, end: number): string {
  const candidates = COMMON_NAMES[end - start];
  if (candidates !== undefined)
    for (const name of candidates) if (equalsLowerCased(text, start, name)) return name;
  return text.slice(start, end).toLowerCase();
}

/** Whether `text` from `start` on, lower-cased, begins with `lower`. */
function equalsLowerCased(text: string, start: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    const c = text.charCodeAt(start + i);
    if ((c >= 65 && c <= 90 ? c | 0x20 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** The field value between `start` and `end` of `text`, without the optional whitespace (SP, HTAB) around it. */
export function fieldValue(text: string, start: number, end: number): string {
  let from = start;
  let to = end;
  while (from < to && isBlank(text.charCodeAt(from))) from++;
  while (to > from && isBlank(text.charCodeAt(to - 1))) to--;
  return text.slice(from, to);
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** Whether `text` is a token (a method, a field name). */
export function isToken(text: string): boolean {
  return TOKEN.test(text);
}
