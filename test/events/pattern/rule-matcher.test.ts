import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compilePattern, type EventPattern, RuleMatcher } from "../../../src/events/pattern/index.js";

const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ["a", "ab", "abc", "b", "ba", "A", "AB", "x-1", "x-2", "", "10.0.0.1", "10.0.0.9"];
const NUMBERS = [0, 1, 1.5, 2, 10, 100, -3, 5e9, 6e9];
const PATHS = [
  ["source"],
  ["detail-type"],
  ["detail", "a"],
  ["detail", "b"],
  ["detail", "c", "d"],
  ["detail", "list"],
];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** A random value list entry covering every operator. */
function matcher(r: () => number): unknown {
  const word = pick(r, WORDS.filter((w) => w !== "") as string[]);
  switch (Math.floor(r() * 17)) {
    case 0:
    case 1:
      return pick(r, WORDS);
    case 2:
      return pick(r, NUMBERS);
    case 3:
      return pick(r, [true, false, null]);
    case 4:
      return { prefix: pick(r, WORDS) };
    case 5:
      return { suffix: pick(r, WORDS) };
    case 6:
      return { "equals-ignore-case": pick(r, WORDS) };
    case 7:
      return { prefix: { "equals-ignore-case": word } };
    case 8:
      return { suffix: { "equals-ignore-case": word } };
    case 9:
      return { wildcard: pick(r, ["a*", "*b", "a*c", "*", "x-*", "*.*.*.1"]) };
    case 10:
      return { "anything-but": r() < 0.5 ? pick(r, WORDS) : [pick(r, WORDS), pick(r, WORDS)] };
    case 11:
      return { "anything-but": r() < 0.5 ? pick(r, NUMBERS.slice(0, 7)) : [1, 2] };
    case 12:
      return { "anything-but": { [pick(r, ["prefix", "suffix"])]: word } };
    case 13:
      return { "anything-but": { [pick(r, ["equals-ignore-case", "wildcard"])]: [word, "x-*"] } };
    case 14: {
      const low = pick(r, [-3, 0, 1, 2]);
      return { numeric: r() < 0.5 ? [">=", low] : [">", low, "<=", low + pick(r, [1, 10, 100])] };
    }
    case 15:
      return { cidr: pick(r, ["10.0.0.0/24", "10.0.0.0/29", "::/1"]) };
    default:
      return { exists: r() < 0.6 };
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function randomPattern(r: () => number): object {
  const branch = () => {
    const p: Record<string, unknown> = {};
    const fields = 1 + Math.floor(r() * 3);
    for (let i = 0; i < fields; i++) {
      setPath(
        p,
        pick(r, PATHS),
        Array.from({ length: 1 + Math.floor(r() * 2) }, () => matcher(r)),
      );
    }
    return p;
  };
  const p = branch();
  if (r() < 0.2) p.$or = [branch(), branch()];
  return p;
}

function scalar(r: () => number): unknown {
  const k = r();
  if (k < 0.45) return pick(r, [...WORDS, "abcd", "Ab", "xab", "10.0.0.200"]);
  if (k < 0.8) return pick(r, [...NUMBERS, 1.5000001, 150, 7]);
  return pick(r, [true, false, null]);
}

function randomEvent(r: () => number): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  for (const path of PATHS) {
    const k = r();
    if (k < 0.3) continue;
    const value =
      k < 0.8
        ? scalar(r)
        : Array.from({ length: Math.floor(r() * 3) }, () => (r() < 0.2 ? { z: scalar(r) } : scalar(r)));
    // Sometimes spell a nested path with a dotted key.
    if (path.length > 2 && r() < 0.3) setPath(e, [path[0]!, path.slice(1).join(".")], value);
    else setPath(e, path, value);
  }
  return e;
}

describe("RuleMatcher", () => {
  test("add, replace and remove change what matches; size counts rules", () => {
    const m = new RuleMatcher<string>();
    assert.equal(m.size, 0);
    m.add("orders", compilePattern('{"source": ["shop"], "detail-type": ["Order Placed"]}'));
    m.add("all-shop", compilePattern('{"source": ["shop"]}'));
    assert.equal(m.size, 2);
    const event = { source: "shop", "detail-type": "Order Placed" };
    assert.deepEqual(m.match(event).sort(), ["all-shop", "orders"]);
    m.add("orders", compilePattern('{"source": ["shop"], "detail-type": ["Order Shipped"]}'));
    assert.equal(m.size, 2);
    assert.deepEqual(m.match(event), ["all-shop"]);
    m.remove("all-shop");
    m.remove("no-such-rule");
    assert.equal(m.size, 1);
    assert.deepEqual(m.match(event), []);
    assert.deepEqual(m.match({ source: "shop", "detail-type": "Order Shipped" }), ["orders"]);
    m.remove("orders");
    assert.equal(m.size, 0);
    assert.deepEqual(m.match(event), []);
  });

  test("a rule with several matching branches is returned once", () => {
    const m = new RuleMatcher<number>();
    m.add(1, compilePattern('{"$or": [{"a": ["x"]}, {"b": ["y"]}]}'));
    assert.deepEqual(m.match({ a: "x", b: "y" }), [1]);
  });

  test("a pattern object from elsewhere is compiled from its text", () => {
    const m = new RuleMatcher<number>();
    const foreign: EventPattern = { text: '{"a": [{"prefix": "x"}]}', matches: () => false };
    m.add(1, foreign);
    assert.deepEqual(m.match({ a: "xyz" }), [1]);
  });

  test("10,000 rules: every event finds exactly its tenant's rules", () => {
    const m = new RuleMatcher<number>();
    for (let i = 0; i < 10_000; i++) {
      m.add(i, compilePattern(JSON.stringify({ source: [`tenant-${i % 500}`], detail: { n: [i] } })));
    }
    assert.deepEqual(
      m.match({ source: "tenant-7", detail: { n: [7, 507, 1007, 8] } }).sort((a, b) => a - b),
      [7, 507, 1007],
    );
    assert.deepEqual(m.match({ source: "tenant-7", detail: { n: 8 } }), []);
  });

  test("generated rules and events: the index returns what testing each compiled pattern alone returns", () => {
    const r = rng(2024);
    const texts = Array.from({ length: 400 }, () => JSON.stringify(randomPattern(r)));
    const patterns = texts.map((t) => compilePattern(t));
    const events = Array.from({ length: 600 }, () => randomEvent(r));
    const m = new RuleMatcher<number>();
    for (const [i, p] of patterns.entries()) m.add(i, p);
    const scan = (live: Set<number>, e: object) =>
      patterns.flatMap((p, i) => (live.has(i) && p.matches(e) ? [i] : []));
    const live = new Set(patterns.map((_, i) => i));
    let matched = 0;
    for (const e of events) {
      const want = scan(live, e);
      matched += want.length;
      assert.deepEqual(sorted(m.match(e)), want, JSON.stringify(e));
    }
    assert.ok(matched > events.length, `the generated cases should match often (${matched})`);

    // Remove every third rule and re-add some with new ids: the index stays exact.
    for (let i = 0; i < patterns.length; i += 3) {
      m.remove(i);
      live.delete(i);
    }
    for (let i = 0; i < patterns.length; i += 9) {
      m.add(i, patterns[i]!);
      live.add(i);
    }
    assert.equal(m.size, live.size);
    for (const e of events) assert.deepEqual(sorted(m.match(e)), scan(live, e), JSON.stringify(e));

    // Removing everything leaves an empty index that matches nothing.
    for (let i = 0; i < patterns.length; i++) m.remove(i);
    assert.equal(m.size, 0);
    for (const e of events.slice(0, 50)) assert.deepEqual(m.match(e), []);
  });
});
