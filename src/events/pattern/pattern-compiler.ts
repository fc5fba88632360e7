import { foldPattern } from "./case-folding.js";
import { comparableKey, NUMERIC_RANGE_MESSAGE } from "./comparable-number.js";
import { InvalidEventPatternError } from "./errors.js";
import { ipKey, looksLikeIp, parseCidr } from "./ip-address.js";
import { JacksonReader, PatternSyntaxError, Tok } from "./jackson-reader.js";
import { MAX_OR_COMBINATIONS, MAX_WILDCARD_COMPLEXITY, NUMERIC_LIMIT } from "./limits.js";
import type { ValueMatcher } from "./value-matcher.js";
import { parseWildcard, type Wildcard } from "./wildcard.js";
import { wildcardComplexity } from "./wildcard-complexity.js";

/**
 * Parses and validates a pattern the way event-ruler's JsonRuleCompiler does (EventBridge runs
 * it), token by token, so the first problem found and its message are AWS's. The result is the
 * pattern's match branches: `$or` forks one branch per alternative (a cartesian product when
 * several `$or`s combine); within a branch every field must match. Field paths join nested keys
 * with "." (so `{"a": {"b": ...}}` and `{"a.b": ...}` are the same field), and a repeated path
 * keeps its last value list.
 */

/** One match branch: field path to the value list any of which must match. */
export type Branch = ReadonlyMap<string, readonly ValueMatcher[]>;

/** The validated pattern. */
export interface ParsedPattern {
  readonly branches: readonly Branch[];
}

export const INVALID_PATTERN_PREFIX = "Event pattern is not valid. Reason: ";

const WILDCARD_TOO_COMPLEX =
  "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character";
const TOO_MANY_OR_COMBINATIONS = `Rule is too complex - the $or alternatives combine into more than ${MAX_OR_COMBINATIONS} match branches`;

/** Names that may not be field names inside `$or` (event-ruler's reserved words). */
const RESERVED_IN_OR = new Set([
  "exactly",
  "equals-ignore-case",
  "prefix",
  "suffix",
  "anything-but",
  "exists",
  "wildcard",
  "numeric",
  "cidr",
  "=",
  "<",
  "<=",
  ">",
  ">=",
  "regex",
  "not-wildcard",
  "not-equals-ignore-case",
  "date-after",
  "date-on-or-after",
  "date-before",
  "date-on-or-before",
  "in-date-range",
  "ip-address-in-range",
  "ip-address-not-in-range",
]);

/** Java's IllegalArgumentException inside the compiler: a message without a location. */
class IllegalArgument extends Error {}

type MutableBranch = Map<string, readonly ValueMatcher[]>;

/** Parses and validates a pattern; throws InvalidEventPatternError with AWS's message. */
export function parsePattern(text: string): ParsedPattern {
  try {
    const r = new JacksonReader(text);
    const branches: MutableBranch[] = [];
    if (r.next() !== Tok.StartObject) r.fail("Filter is not an object");
    parseObject(branches, [], r, false);
    checkWildcardComplexity(branches);
    return { branches };
  } catch (e) {
    if (e instanceof PatternSyntaxError)
      throw new InvalidEventPatternError(INVALID_PATTERN_PREFIX + e.reason);
    if (e instanceof IllegalArgument) throw new InvalidEventPatternError(INVALID_PATTERN_PREFIX + e.message);
    throw e;
  }
}

function parseObject(branches: MutableBranch[], path: string[], r: JacksonReader, insideOr: boolean): void {
  let fieldsPresent = false;
  while (r.next() !== Tok.EndObject) {
    fieldsPresent = true;
    const step = r.text();
    if (step === "$or") {
      parseOr(branches, path, r);
      continue;
    }
    if (insideOr && RESERVED_IN_OR.has(step)) {
      r.fail(`${step} is Ruler reserved fieldName which cannot be used inside $or.`);
    }
    switch (r.next()) {
      case Tok.StartObject:
        path.push(step);
        parseObject(branches, path, r, insideOr);
        path.pop();
        break;
      case Tok.StartArray:
        writeValues(branches, path.length === 0 ? step : `${path.join(".")}.${step}`, r);
        break;
      default:
        r.fail(`"${step}" must be an object or an array`);
    }
  }
  if (!fieldsPresent) r.fail("Empty objects are not allowed");
}

function parseOr(branches: MutableBranch[], path: string[], r: JacksonReader): void {
  const before = branches.map((b) => new Map(b));
  branches.length = 0;
  if (r.next() !== Tok.StartArray) r.fail("It must be an Array followed with $or.");
  let count = 0;
  for (let t = r.next(); t !== Tok.EndArray; t = r.next()) {
    count++;
    if (t !== Tok.StartObject) r.fail("Only JSON object is allowed in array of $or relationship.");
    const forked = before.map((b) => new Map(b));
    if (forked.length === 0) forked.push(new Map());
    parseObject(forked, path, r, true);
    branches.push(...forked);
    if (branches.length > MAX_OR_COMBINATIONS) throw new IllegalArgument(TOO_MANY_OR_COMBINATIONS);
  }
  if (count < 2) r.fail("There must have at least 2 Objects in $or relationship.");
}

function writeValues(branches: MutableBranch[], name: string, r: JacksonReader): void {
  const values: ValueMatcher[] = [];
  for (let t = r.next(); t !== Tok.EndArray; t = r.next()) {
    switch (t) {
      case Tok.StartObject:
        values.push(matchExpression(r));
        break;
      case Tok.Str: {
        const s = r.text();
        const ip = looksLikeIp(s) ? ipKey(s) : null;
        values.push(ip !== null ? { kind: "ip", key: ip, text: s } : { kind: "string", value: s });
        break;
      }
      case Tok.Int:
      case Tok.Float: {
        const value = r.number();
        values.push({ kind: "number", value, key: comparableKey(value) });
        break;
      }
      case Tok.True:
        values.push({ kind: "literal", value: true });
        break;
      case Tok.False:
        values.push({ kind: "literal", value: false });
        break;
      case Tok.Null:
        values.push({ kind: "literal", value: null });
        break;
      default:
        r.fail("Match value must be String, number, true, false, or null");
    }
  }
  if (values.length === 0) r.fail("Empty arrays are not allowed");
  if (branches.length === 0) branches.push(new Map());
  for (const b of branches) b.set(name, values);
}

function expectEnd(r: JacksonReader): void {
  if (r.next() !== Tok.EndObject) r.fail("Only one key allowed in match expression");
}

function isNumber(t: Tok): boolean {
  return t === Tok.Int || t === Tok.Float;
}

function matchExpression(r: JacksonReader): ValueMatcher {
  if (r.next() !== Tok.FieldName) r.fail("Match expression name not found");
  const op = r.text();
  switch (op) {
    case "exactly": {
      if (r.next() !== Tok.Str) r.fail("exact match pattern must be a string");
      const value = r.text();
      expectEnd(r);
      return { kind: "string", value };
    }
    case "prefix":
    case "suffix": {
      const t = r.next();
      if (t === Tok.StartObject) return affixIgnoreCase(r, op);
      if (t !== Tok.Str) r.fail(`${op} match pattern must be a string`);
      const value = r.text();
      expectEnd(r);
      return { kind: op, value };
    }
    case "numeric": {
      if (r.next() !== Tok.StartArray) r.fail("Value of numeric must be an array.");
      const range = numericExpression(r);
      if (r.next() !== Tok.EndObject) r.fail("Too many elements in numeric expression");
      return range;
    }
    case "anything-but":
      return anythingBut(r);
    case "exists": {
      const t = r.next();
      if (t !== Tok.True && t !== Tok.False) r.fail("exists match pattern must be either true or false.");
      expectEnd(r);
      return { kind: "exists", value: t === Tok.True };
    }
    case "cidr": {
      if (r.next() !== Tok.Str) r.fail("prefix match pattern must be a string");
      const text = r.text();
      let range: ReturnType<typeof parseCidr>;
      try {
        range = parseCidr(text);
      } catch (e) {
        throw new IllegalArgument((e as Error).message);
      }
      expectEnd(r);
      return { kind: "cidr", range, text };
    }
    case "equals-ignore-case": {
      if (r.next() !== Tok.Str) r.fail("equals-ignore-case match pattern must be a string");
      const value = r.text();
      expectEnd(r);
      return { kind: "equals-ignore-case", value, folded: foldPattern(value) };
    }
    case "wildcard": {
      if (r.next() !== Tok.Str) r.fail("wildcard match pattern must be a string");
      const value = r.text();
      const wildcard = wildcardOrFail(r, value);
      expectEnd(r);
      return { kind: "wildcard", value, wildcard };
    }
    default:
      r.fail(`Unrecognized match type ${op}`);
  }
}

function wildcardOrFail(r: JacksonReader, value: string): Wildcard {
  try {
    return parseWildcard(value);
  } catch (e) {
    r.fail((e as Error).message);
  }
}

/** `{"prefix": {"equals-ignore-case": "..."}}` and the suffix form. */
function affixIgnoreCase(r: JacksonReader, op: "prefix" | "suffix"): ValueMatcher {
  const Name = op === "prefix" ? "Prefix" : "Suffix";
  if (r.next() !== Tok.FieldName) r.fail(`${Name} expression name not found`);
  const inner = r.text();
  if (inner !== "equals-ignore-case") r.fail(`Unsupported ${op} pattern: ${inner}`);
  if (r.next() !== Tok.Str) r.fail("equals-ignore-case match pattern must be a string");
  const value = r.text();
  expectEnd(r);
  expectEnd(r);
  return {
    kind: op === "prefix" ? "prefix-ignore-case" : "suffix-ignore-case",
    value,
    folded: foldPattern(value),
  };
}

/** The comparable key of a number token's text; IllegalArgument when out of range. */
function keyOf(text: string): number {
  const key = comparableKey(Number(text));
  if (Number.isNaN(key)) throw new IllegalArgument(NUMERIC_RANGE_MESSAGE);
  return key;
}

const LOWEST = comparableKey(-NUMERIC_LIMIT);
const HIGHEST = comparableKey(NUMERIC_LIMIT);

function numericExpression(r: JacksonReader): ValueMatcher {
  let t = r.next();
  if (t !== Tok.Str) r.fail(`Invalid member in numeric match: ${r.text()}`);
  const op = r.text();
  t = r.next();
  try {
    switch (op) {
      case "=": {
        if (!isNumber(t)) r.fail("Value of equals must be numeric");
        const text = r.text();
        if (r.next() !== Tok.EndArray) r.fail("Too many elements in numeric expression");
        const key = keyOf(text);
        return { kind: "numeric", low: key, lowOpen: false, high: key, highOpen: false };
      }
      case ">=":
      case ">": {
        if (!isNumber(t)) r.fail(`Value of ${op} must be numeric`);
        const text = r.text();
        t = r.next();
        if (t === Tok.EndArray) {
          return { kind: "numeric", low: keyOf(text), lowOpen: op === ">", high: HIGHEST, highOpen: false };
        }
        return numericRange(r, t, text, op === ">");
      }
      case "<=":
      case "<": {
        if (!isNumber(t)) r.fail(`Value of ${op} must be numeric`);
        const text = r.text();
        if (r.next() !== Tok.EndArray) r.fail("Too many elements in numeric expression");
        return { kind: "numeric", low: LOWEST, lowOpen: false, high: keyOf(text), highOpen: op === "<" };
      }
      default:
        r.fail(`Unrecognized numeric range operator: ${op}`);
    }
  } catch (e) {
    if (e instanceof IllegalArgument) r.fail(e.message);
    throw e;
  }
}

function numericRange(r: JacksonReader, t: Tok, bottom: string, lowOpen: boolean): ValueMatcher {
  if (t !== Tok.Str) r.fail(`Bad value in numeric range: ${r.text()}`);
  const op = r.text();
  if (op !== "<" && op !== "<=") r.fail(`Bad numeric range operator: ${op}`);
  if (!isNumber(r.next())) r.fail(`Value of ${op} must be numeric`);
  const top = r.text();
  if (r.next() !== Tok.EndArray) r.fail("Too many terms in numeric range expression");
  const low = keyOf(bottom);
  const high = keyOf(top);
  if (!(low < high)) throw new IllegalArgument("Bottom must be less than top");
  return { kind: "numeric", low, lowOpen, high, highOpen: op === "<" };
}

type AnythingButKind = "plain" | "equals-ignore-case" | "prefix" | "suffix" | "wildcard";

function anythingBut(r: JacksonReader): ValueMatcher {
  let kind: AnythingButKind = "plain";
  let t = r.next();
  if (t === Tok.StartObject) {
    if (r.next() !== Tok.FieldName) r.fail("Anything-But expression name not found");
    const inner = r.text();
    if (inner !== "equals-ignore-case" && inner !== "prefix" && inner !== "suffix" && inner !== "wildcard") {
      r.fail(`Unsupported anything-but pattern: ${inner}`);
    }
    kind = inner;
    t = r.next();
  }
  if (t !== Tok.StartArray && t !== Tok.Str && !isNumber(t)) {
    r.fail("Value of anything-but must be an array or single string/number value.");
  }
  let m: ValueMatcher;
  if (kind === "plain") m = t === Tok.StartArray ? anythingButList(r) : anythingButSingle(r, t);
  else m = anythingButSet(r, kind, t === Tok.StartArray ? null : t);
  if (r.next() !== Tok.EndObject) r.fail("Too many elements in numeric expression");
  if (kind !== "plain" && r.next() !== Tok.EndObject) r.fail("Too many elements in numeric expression");
  return m;
}

/**
 * Runs `body` as event-ruler's try/catch blocks around list parsing do: a parse error thrown
 * inside is reported again at the current location (so AWS's message carries its location twice).
 */
function rethrowingInside<T>(r: JacksonReader, body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (e instanceof PatternSyntaxError) r.fail(e.reason);
    if (e instanceof IllegalArgument) r.fail(e.message);
    throw e;
  }
}

function anythingButList(r: JacksonReader): ValueMatcher {
  const values = new Set<string | number>();
  let hasNumber = false;
  let hasString = false;
  rethrowingInside(r, () => {
    for (let t = r.next(); t !== Tok.EndArray; t = r.next()) {
      if (t === Tok.Str) {
        values.add(r.text());
        hasString = true;
      } else if (isNumber(t)) {
        values.add(keyOf(r.text()));
        hasNumber = true;
      } else {
        r.fail("Inside anything but list, start|null|boolean is not supported.");
      }
    }
  });
  if (hasNumber === hasString) {
    r.fail("Inside anything but list, either all values are number or string, mixed type is not supported");
  }
  return { kind: "anything-but", numbers: hasNumber, values };
}

function anythingButSingle(r: JacksonReader, t: Tok): ValueMatcher {
  if (t === Tok.Str) return { kind: "anything-but", numbers: false, values: new Set([r.text()]) };
  // Out of range here is a plain IllegalArgumentException in event-ruler: no location.
  return { kind: "anything-but", numbers: true, values: new Set([keyOf(r.text())]) };
}

function anythingButSet(
  r: JacksonReader,
  kind: Exclude<AnythingButKind, "plain">,
  single: Tok | null,
): ValueMatcher {
  const texts: string[] = [];
  const take = (t: Tok): void => {
    if (t === Tok.Str) {
      const text = r.text();
      if ((kind === "prefix" || kind === "suffix") && text === "") r.fail("Null prefix/suffix not allowed");
      if (!texts.includes(text)) texts.push(text);
    } else if (kind === "equals-ignore-case") {
      r.fail("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.");
    } else if (kind === "wildcard") {
      r.fail("wildcard match pattern must be a string");
    } else {
      r.fail("prefix/suffix match pattern must be a string");
    }
  };
  if (single !== null) {
    take(single);
  } else {
    rethrowingInside(r, () => {
      for (let t = r.next(); t !== Tok.EndArray; t = r.next()) take(t);
    });
  }
  switch (kind) {
    case "equals-ignore-case":
      return { kind: "anything-but-ignore-case", values: texts.map(foldPattern) };
    case "prefix":
      return { kind: "anything-but-prefix", values: texts };
    case "suffix":
      return { kind: "anything-but-suffix", values: texts };
    case "wildcard":
      return { kind: "anything-but-wildcard", values: texts.map((text) => wildcardOrFail(r, text)) };
  }
}

/** event-ruler evaluates wildcard complexity per field over every wildcard the rule puts there. */
function checkWildcardComplexity(branches: readonly Branch[]): void {
  const byPath = new Map<string, Wildcard[]>();
  for (const b of branches) {
    for (const [path, matchers] of b) {
      for (const m of matchers) {
        if (m.kind !== "wildcard") continue;
        const list = byPath.get(path);
        if (list === undefined) byPath.set(path, [m.wildcard]);
        else list.push(m.wildcard);
      }
    }
  }
  for (const list of byPath.values()) {
    if (wildcardComplexity(list, MAX_WILDCARD_COMPLEXITY) > MAX_WILDCARD_COMPLEXITY) {
      throw new IllegalArgument(WILDCARD_TOO_COMPLEX);
    }
  }
}
