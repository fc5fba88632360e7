/**
 * The wildcard operator: `*` matches any run of characters (also none), `\*` and `\\` are a
 * literal asterisk and backslash, any other escape and `**` are errors (event-ruler's
 * WildcardParser, whose positions count UTF-8 bytes of the value wrapped in quotes).
 */

/** A parsed wildcard: the literal pieces between the stars. */
export interface Wildcard {
  /** literal pieces; a star sits between each pair */
  readonly pieces: readonly string[];
}

const encoder = new TextEncoder();

/** Parses a wildcard value; throws an Error with event-ruler's ParseException text. */
export function parseWildcard(text: string): Wildcard {
  // Positions are reported in the UTF-8 bytes of '"' + text + '"', as event-ruler sees them.
  const bytes = encoder.encode(`"${text}"`);
  const pieces: string[] = [];
  let current: number[] = [];
  const decoder = new TextDecoder();
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x2a) {
      if (i + 1 < bytes.length && bytes[i + 1] === 0x2a) {
        throw new Error(`Consecutive wildcard characters at pos ${i}`);
      }
      pieces.push(decoder.decode(Uint8Array.from(current)));
      current = [];
    } else if (b === 0x5c) {
      const next = bytes[i + 1];
      if (next === 0x2a || next === 0x5c) {
        current.push(next);
        i++;
      } else {
        throw new Error(`Invalid escape character at pos ${i}`);
      }
    } else {
      current.push(b);
    }
  }
  pieces.push(decoder.decode(Uint8Array.from(current)));
  // Drop the quotes event-ruler adds around the value.
  pieces[0] = pieces[0]!.slice(1);
  pieces[pieces.length - 1] = pieces[pieces.length - 1]!.slice(0, -1);
  return { pieces };
}

/** True when the value matches the wildcard. Greedy leftmost matching is exact for `*` alone. */
export function matchWildcard(w: Wildcard, value: string): boolean {
  const pieces = w.pieces;
  const first = pieces[0]!;
  if (pieces.length === 1) return value === first;
  const last = pieces[pieces.length - 1]!;
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first)) return false;
  const end = value.length - last.length;
  if (!value.endsWith(last)) return false;
  let at = first.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i]!;
    if (piece.length === 0) continue;
    const found = value.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}
