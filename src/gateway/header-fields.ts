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

/** Whether `text` is a token (a method, a field name). */
export function isToken(text: string): boolean {
  return TOKEN.test(text);
}
