import {
  endsWithIgnoreCase,
  equalsIgnoreCase,
  type FoldedPattern,
  foldPattern,
  startsWithIgnoreCase,
} from "./case-folding.js";
import { comparableKey } from "./comparable-number.js";
import { type IpRange, ipKey } from "./ip-address.js";
import { matchWildcard, type Wildcard } from "./wildcard.js";

/**
 * One entry of a field's value list in a pattern, after validation. A field's condition holds
 * when any event value at the field's path satisfies any of its matchers (or, for
 * `exists: false`, when the path has no value at all).
 */
export type ValueMatcher =
  | { readonly kind: "string"; readonly value: string }
  /** a string literal shaped like an IP address matches that address in any spelling */
  | { readonly kind: "ip"; readonly key: string; readonly text: string }
  /** `key` is the comparable key; NaN when out of range, then `value` is compared as is */
  | { readonly kind: "number"; readonly value: number; readonly key: number }
  | { readonly kind: "literal"; readonly value: true | false | null }
  | { readonly kind: "prefix"; readonly value: string }
  | { readonly kind: "suffix"; readonly value: string }
  | { readonly kind: "prefix-ignore-case"; readonly value: string; readonly folded: FoldedPattern }
  | { readonly kind: "suffix-ignore-case"; readonly value: string; readonly folded: FoldedPattern }
  | { readonly kind: "equals-ignore-case"; readonly value: string; readonly folded: FoldedPattern }
  | { readonly kind: "wildcard"; readonly value: string; readonly wildcard: Wildcard }
  /** keys are comparable numbers (numbers: true) or strings */
  | {
      readonly kind: "anything-but";
      readonly numbers: boolean;
      readonly values: ReadonlySet<string | number>;
    }
  | { readonly kind: "anything-but-prefix"; readonly values: readonly string[] }
  | { readonly kind: "anything-but-suffix"; readonly values: readonly string[] }
  | { readonly kind: "anything-but-ignore-case"; readonly values: readonly FoldedPattern[] }
  | { readonly kind: "anything-but-wildcard"; readonly values: readonly Wildcard[] }
  /** bounds are comparable keys */
  | {
      readonly kind: "numeric";
      readonly low: number;
      readonly lowOpen: boolean;
      readonly high: number;
      readonly highOpen: boolean;
    }
  | { readonly kind: "cidr"; readonly range: IpRange; readonly text: string }
  | { readonly kind: "exists"; readonly value: boolean };

/** A value found at a path in an event: a JSON scalar. */
export type EventValue = string | number | boolean | null;

/** Compiles a matcher into a predicate on one event value. */
export function valuePredicate(m: ValueMatcher): (v: EventValue) => boolean {
  switch (m.kind) {
    case "string": {
      const s = m.value;
      return (v) => v === s;
    }
    case "ip": {
      const key = m.key;
      return (v) => typeof v === "string" && ipKey(v) === key;
    }
    case "number": {
      const { key, value } = m;
      if (Number.isNaN(key)) return (v) => v === value;
      return (v) => typeof v === "number" && comparableKey(v) === key;
    }
    case "literal": {
      const lit = m.value;
      return (v) => v === lit;
    }
    case "prefix": {
      const p = m.value;
      return (v) => typeof v === "string" && v.startsWith(p);
    }
    case "suffix": {
      const p = m.value;
      return (v) => typeof v === "string" && v.endsWith(p);
    }
    case "prefix-ignore-case": {
      const f = m.folded;
      return (v) => typeof v === "string" && startsWithIgnoreCase(f, v);
    }
    case "suffix-ignore-case": {
      const f = m.folded;
      return (v) => typeof v === "string" && endsWithIgnoreCase(f, v);
    }
    case "equals-ignore-case": {
      const f = m.folded;
      return (v) => typeof v === "string" && equalsIgnoreCase(f, v);
    }
    case "wildcard": {
      const w = m.wildcard;
      return (v) => typeof v === "string" && matchWildcard(w, v);
    }
    case "anything-but": {
      const values = m.values;
      if (m.numbers) return (v) => typeof v !== "number" || !values.has(comparableKey(v));
      return (v) => typeof v !== "string" || !values.has(v);
    }
    // Loops, not Array.some: no closure per call on the hot path.
    case "anything-but-prefix": {
      const values = m.values;
      return (v) => {
        if (typeof v !== "string") return true;
        for (let i = 0; i < values.length; i++) if (v.startsWith(values[i]!)) return false;
        return true;
      };
    }
    case "anything-but-suffix": {
      const values = m.values;
      return (v) => {
        if (typeof v !== "string") return true;
        for (let i = 0; i < values.length; i++) if (v.endsWith(values[i]!)) return false;
        return true;
      };
    }
    case "anything-but-ignore-case": {
      const values = m.values;
      return (v) => {
        if (typeof v !== "string") return true;
        for (let i = 0; i < values.length; i++) if (equalsIgnoreCase(values[i]!, v)) return false;
        return true;
      };
    }
    case "anything-but-wildcard": {
      const values = m.values;
      return (v) => {
        if (typeof v !== "string") return true;
        for (let i = 0; i < values.length; i++) if (matchWildcard(values[i]!, v)) return false;
        return true;
      };
    }
    case "numeric": {
      const { low, lowOpen, high, highOpen } = m;
      return (v) => {
        if (typeof v !== "number") return false;
        const k = comparableKey(v);
        // NaN (out of range) fails every comparison.
        return (lowOpen ? k > low : k >= low) && (highOpen ? k < high : k <= high);
      };
    }
    case "cidr": {
      const { low, high } = m.range;
      return (v) => {
        if (typeof v !== "string") return false;
        const key = ipKey(v);
        return key !== null && key.length === low.length && key >= low && key <= high;
      };
    }
    case "exists": {
      // exists:true holds for any value; exists:false never holds for a present value.
      const present = m.value;
      return () => present;
    }
  }
}

/**
 * A value list compiled into one predicate: any matcher holds. exists:false is left out (it never
 * holds for a present value; absence is decided by the caller).
 */
export function anyOf(matchers: readonly ValueMatcher[]): (v: EventValue) => boolean {
  const preds = matchers.filter((m) => !(m.kind === "exists" && !m.value)).map(valuePredicate);
  if (preds.length === 0) return () => false;
  if (preds.length === 1) return preds[0]!;
  return (v) => {
    for (let i = 0; i < preds.length; i++) if (preds[i]!(v)) return true;
    return false;
  };
}

/** True when the value list holds exists:false, so the field may also be absent. */
export function allowsAbsence(matchers: readonly ValueMatcher[]): boolean {
  return matchers.some((m) => m.kind === "exists" && !m.value);
}

/** A folded pattern for the ignore-case matchers. */
export { foldPattern };
