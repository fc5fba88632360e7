import type { Wildcard } from "./wildcard.js";

/**
 * event-ruler's MachineComplexityEvaluator for the wildcard patterns of one field: the largest
 * number of wildcard-pattern prefixes a single input can be matching at the same time. States are
 * positions in each pattern's UTF-8 bytes (quoted, as event-ruler stores them); a position just
 * after a star loops on every byte. The answer is the largest reachable state set, found by a
 * breadth-first walk over state sets, stopped as soon as it passes `cap`.
 */

const STAR = -1;
const encoder = new TextEncoder();

function tokens(w: Wildcard, quoted: boolean): number[] {
  const out: number[] = quoted ? [0x22] : [];
  w.pieces.forEach((piece, i) => {
    if (i > 0) out.push(STAR);
    for (const b of encoder.encode(piece)) out.push(b);
  });
  if (quoted) out.push(0x22);
  return out;
}

/** Explored state sets before giving up and calling the rule too complex. */
const MAX_EXPLORED = 20_000;

/**
 * Returns the complexity, or `cap + 1` once it is known to exceed `cap`. `quoted: false` leaves
 * out the quotes event-ruler wraps JSON values in (its own tests evaluate bare values).
 */
export function wildcardComplexity(
  wildcards: readonly Wildcard[],
  cap: number,
  options: { quoted: boolean } = { quoted: true },
): number {
  const seen = new Set<string>();
  const patterns = wildcards
    .map((w) => tokens(w, options.quoted))
    .filter((t) => {
      const key = t.join(",");
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  if (patterns.length === 0) return 0;
  // A state is pattern index * stride + position.
  const stride = Math.max(...patterns.map((t) => t.length)) + 1;
  const alphabet = new Set<number>();
  for (const t of patterns) for (const b of t) if (b !== STAR) alphabet.add(b);
  alphabet.add(0x100); // any byte that no pattern names

  const closure = (states: Set<number>): number[] => {
    const stack = [...states];
    while (stack.length > 0) {
      const s = stack.pop()!;
      const t = patterns[Math.floor(s / stride)]!;
      const pos = s % stride;
      if (pos < t.length && t[pos] === STAR && !states.has(s + 1)) {
        states.add(s + 1);
        stack.push(s + 1);
      }
    }
    return [...states].sort((a, b) => a - b);
  };

  const start = closure(new Set(patterns.map((_, i) => i * stride)));
  const visited = new Set<string>([start.join(",")]);
  const queue: number[][] = [start];
  let max = 0;
  while (queue.length > 0) {
    const set = queue.shift()!;
    let size = 0;
    for (const s of set) if (s % stride >= 1) size++;
    if (size > max) max = size;
    if (max > cap || visited.size > MAX_EXPLORED) return cap + 1;
    for (const byte of alphabet) {
      const next = new Set<number>();
      for (const s of set) {
        const t = patterns[Math.floor(s / stride)]!;
        const pos = s % stride;
        if (pos >= 1 && t[pos - 1] === STAR) next.add(s);
        if (pos < t.length && t[pos] === byte) next.add(s + 1);
      }
      if (next.size === 0) continue;
      const closed = closure(next);
      const key = closed.join(",");
      if (!visited.has(key)) {
        visited.add(key);
        queue.push(closed);
      }
    }
  }
  return max;
}
