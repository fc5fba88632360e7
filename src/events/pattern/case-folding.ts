/**
 * equals-ignore-case as event-ruler defines it: each character c of the pattern matches exactly
 * the text of c.toLowerCase() or c.toUpperCase() (which may differ in length, e.g. "ß" and "SS").
 * A pattern compiles to one list of alternatives per character; matching walks the value.
 */

/** Per pattern character, the texts it matches (one or two). */
export type FoldedPattern = readonly (readonly string[])[];

/** A simple per-code-unit lower-casing table for indexes (never for the match decision). */
const LOWER = new Uint16Array(65536);
for (let c = 0; c < 65536; c++) {
  const lower = String.fromCharCode(c).toLowerCase();
  LOWER[c] = lower.length === 1 ? lower.charCodeAt(0) : c;
}

/** Lower-cases one UTF-16 code unit (identity when lower-casing would change the length). */
export function foldUnit(code: number): number {
  return LOWER[code]!;
}

export function foldPattern(text: string): FoldedPattern {
  const out: string[][] = [];
  for (const ch of text) {
    const lower = ch.toLowerCase();
    const upper = ch.toUpperCase();
    out.push(lower === upper ? [lower] : [lower, upper]);
  }
  return out;
}

/**
 * True when the pattern's characters can be indexed by foldUnit: each is one code unit whose
 * lower and upper forms are single code units folding to the same unit. Other patterns are
 * checked one by one.
 */
export function isIndexable(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return false;
    const ch = text[i]!;
    const lower = ch.toLowerCase();
    const upper = ch.toUpperCase();
    if (lower.length !== 1 || upper.length !== 1) return false;
    const f = LOWER[c];
    if (LOWER[lower.charCodeAt(0)] !== f || LOWER[upper.charCodeAt(0)] !== f) return false;
  }
  return true;
}

/** The pattern folded unit by unit (index key). */
export function foldKey(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) out += String.fromCharCode(LOWER[text.charCodeAt(i)]!);
  return out;
}

function matchFrom(p: FoldedPattern, pi: number, value: string, vi: number, whole: boolean): boolean {
  if (pi === p.length) return !whole || vi === value.length;
  const alts = p[pi]!;
  for (let a = 0; a < alts.length; a++) {
    const alt = alts[a]!;
    if (value.startsWith(alt, vi) && matchFrom(p, pi + 1, value, vi + alt.length, whole)) return true;
  }
  return false;
}

/** The whole value matches the pattern ignoring case. */
export function equalsIgnoreCase(p: FoldedPattern, value: string): boolean {
  return matchFrom(p, 0, value, 0, true);
}

/** The value starts with the pattern ignoring case. */
export function startsWithIgnoreCase(p: FoldedPattern, value: string): boolean {
  return matchFrom(p, 0, value, 0, false);
}

function matchBackFrom(p: FoldedPattern, pi: number, value: string, end: number): boolean {
  if (pi < 0) return true;
  const alts = p[pi]!;
  for (let a = 0; a < alts.length; a++) {
    const alt = alts[a]!;
    const start = end - alt.length;
    if (start >= 0 && value.startsWith(alt, start) && matchBackFrom(p, pi - 1, value, start)) return true;
  }
  return false;
}

/** The value ends with the pattern ignoring case. */
export function endsWithIgnoreCase(p: FoldedPattern, value: string): boolean {
  return matchBackFrom(p, p.length - 1, value, value.length);
}
