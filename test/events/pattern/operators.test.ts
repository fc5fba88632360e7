import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compilePattern, RuleMatcher } from "../../../src/events/pattern/index.js";

/**
 * Whether the pattern matches the event, asserting that the compiled pattern and a RuleMatcher
 * holding it (plus unrelated rules, so the index does real work) agree.
 */
function matches(pattern: object, event: unknown): boolean {
  const compiled = compilePattern(JSON.stringify(pattern));
  const alone = compiled.matches(event);
  const index = new RuleMatcher<string>();
  index.add("noise-1", compilePattern('{"source": ["elsewhere"], "detail": {"x": [{"exists": true}]}}'));
  index.add("rule", compiled);
  index.add("noise-2", compilePattern('{"detail-type": [{"prefix": "zzz"}]}'));
  assert.deepEqual(index.match(event), alone ? ["rule"] : [], "index and compiled pattern disagree");
  return alone;
}

describe("exact values", () => {
  test("a string matches only the same string, case and all", () => {
    assert.equal(matches({ source: ["shop"] }, { source: "shop" }), true);
    assert.equal(matches({ source: ["shop"] }, { source: "Shop" }), false);
    assert.equal(matches({ source: ["a", "b"] }, { source: "b" }), true);
    assert.equal(matches({ source: ["5"] }, { source: 5 }), false);
  });

  test("field names are case sensitive and every named field must be present", () => {
    assert.equal(matches({ Source: ["shop"] }, { source: "shop" }), false);
    assert.equal(matches({ source: ["shop"], region: ["eu"] }, { source: "shop" }), false);
  });

  test("a number matches equal numbers to six decimals, however they are written", () => {
    assert.equal(matches({ n: [300] }, { n: 300.0 }), true);
    assert.equal(matches({ n: [3.018e2] }, { n: 301.8 }), true);
    assert.equal(matches({ n: [1.5] }, { n: 1.5000001 }), true);
    assert.equal(matches({ n: [1.5] }, { n: 1.500001 }), false);
    assert.equal(matches({ n: [5] }, { n: "5" }), false);
  });

  test("numbers beyond ±5e9 still match exactly (as account numbers do)", () => {
    assert.equal(matches({ account: [123456789012] }, { account: 123456789012 }), true);
    assert.equal(matches({ account: [123456789012] }, { account: 123456789013 }), false);
  });

  test("true, false and null match only themselves", () => {
    assert.equal(matches({ b: [false] }, { b: false }), true);
    assert.equal(matches({ b: [false] }, { b: "false" }), false);
    assert.equal(matches({ b: [true] }, { b: false }), false);
    assert.equal(matches({ v: [null] }, { v: null }), true);
    assert.equal(matches({ v: [null] }, { v: "null" }), false);
    assert.equal(matches({ v: [null] }, {}), false);
  });

  test("the empty string matches an empty value only", () => {
    assert.equal(matches({ v: [""] }, { v: "" }), true);
    assert.equal(matches({ v: [""] }, { v: null }), false);
  });

  test("literal * and backslash are plain characters outside wildcard", () => {
    assert.equal(matches({ v: ["*"] }, { v: "*" }), true);
    assert.equal(matches({ v: ["*"] }, { v: "abc" }), false);
    assert.equal(matches({ v: ["\\"] }, { v: "\\" }), true);
  });

  test("a string shaped like an IP address matches the address in any spelling", () => {
    assert.equal(matches({ ip: ["10.0.0.1"] }, { ip: "10.0.0.1" }), true);
    assert.equal(matches({ ip: ["::1"] }, { ip: "0:0:0:0:0:0:0:1" }), true);
    assert.equal(matches({ ip: ["10.0.0.1"] }, { ip: "10.0.0.2" }), false);
    assert.equal(matches({ ip: ["10.0.0.256"] }, { ip: "10.0.0.256" }), true, "not an address: plain string");
  });
});

describe("arrays and nesting", () => {
  test("an array value matches when any element matches (intersection)", () => {
    assert.equal(matches({ resources: ["arn:b"] }, { resources: ["arn:a", "arn:b"] }), true);
    assert.equal(matches({ resources: ["arn:c"] }, { resources: ["arn:a", "arn:b"] }), false);
    assert.equal(matches({ resources: [null] }, { resources: [] }), false);
    assert.equal(matches({ v: ["x"] }, { v: [["y", ["x"]]] }), true);
  });

  test("nested keys and dotted keys name the same field, on either side", () => {
    assert.equal(
      matches({ detail: { state: { status: ["up"] } } }, { detail: { "state.status": "up" } }),
      true,
    );
    assert.equal(
      matches({ detail: { "state.status": ["up"] } }, { detail: { state: { status: "up" } } }),
      true,
    );
    assert.equal(matches({ "detail.state": { status: ["up"] } }, { "detail.state.status": "up" }), true);
    assert.equal(
      matches({ detail: { "state.status": { status: ["up"] } } }, { detail: { state: { status: "up" } } }),
      false,
    );
  });

  test("objects inside arrays are matched field by field, without array consistency (as EventBridge)", () => {
    const pattern = { items: { sku: ["A"], qty: [2] } };
    assert.equal(matches(pattern, { items: [{ sku: "A", qty: 2 }] }), true);
    assert.equal(
      matches(pattern, {
        items: [
          { sku: "A", qty: 1 },
          { sku: "B", qty: 2 },
        ],
      }),
      true,
    );
    assert.equal(matches(pattern, { items: [{ sku: "B", qty: 2 }] }), false);
  });

  test("a JSON string holding JSON is a string, not an object", () => {
    assert.equal(matches({ detail: { k: ["v"] } }, { detail: '{"k": "v"}' }), false);
  });
});

describe("prefix, suffix and equals-ignore-case", () => {
  test("prefix and suffix apply to strings only; the empty affix matches every string", () => {
    assert.equal(matches({ t: [{ prefix: "2017-10" }] }, { t: "2017-10-02T18:43:48Z" }), true);
    assert.equal(matches({ t: [{ prefix: "2017-11" }] }, { t: "2017-10-02" }), false);
    assert.equal(matches({ n: [{ prefix: "1" }] }, { n: 12 }), false);
    assert.equal(matches({ f: [{ suffix: ".png" }] }, { f: "a.png" }), true);
    assert.equal(matches({ f: [{ suffix: ".png" }] }, { f: "a.PNG" }), false);
    assert.equal(matches({ f: [{ prefix: "" }] }, { f: "" }), true);
    assert.equal(matches({ f: [{ suffix: "" }] }, { f: null }), false);
  });

  test("prefix and suffix with equals-ignore-case fold case on the affix only", () => {
    assert.equal(
      matches({ s: [{ prefix: { "equals-ignore-case": "EventB" } }] }, { s: "eVeNtBridge" }),
      true,
    );
    assert.equal(matches({ s: [{ prefix: { "equals-ignore-case": "EventB" } }] }, { s: "Event" }), false);
    assert.equal(matches({ f: [{ suffix: { "equals-ignore-case": ".png" } }] }, { f: "image.PnG" }), true);
  });

  test("equals-ignore-case compares every character's lower or upper form", () => {
    assert.equal(matches({ d: [{ "equals-ignore-case": "ec2 state" }] }, { d: "EC2 State" }), true);
    assert.equal(matches({ d: [{ "equals-ignore-case": "ec2 state" }] }, { d: "EC2 States" }), false);
    assert.equal(matches({ d: [{ "equals-ignore-case": "" }] }, { d: "" }), true);
    assert.equal(
      matches({ d: [{ "equals-ignore-case": "straße" }] }, { d: "STRASSE" }),
      true,
      "ß upper-cases to SS",
    );
    assert.equal(matches({ d: [{ "equals-ignore-case": "straße" }] }, { d: "STRAßE" }), true);
    assert.equal(
      matches({ d: [{ "equals-ignore-case": "k" }] }, { d: "\u212a" }),
      false,
      "the Kelvin sign is not K",
    );
  });
});

describe("anything-but", () => {
  test("a single string or a list excludes exactly those strings; other types match", () => {
    const p = { state: [{ "anything-but": ["stopped", "overloaded"] }] };
    assert.equal(matches(p, { state: "running" }), true);
    assert.equal(matches(p, { state: "stopped" }), false);
    assert.equal(matches(p, { state: null }), true);
    assert.equal(matches(p, { state: 5 }), true);
    assert.equal(matches(p, {}), false, "the field must exist");
    assert.equal(matches(p, { state: ["stopped", "running"] }), true, "any element may satisfy it");
    assert.equal(matches(p, { state: ["stopped", "overloaded"] }), false);
  });

  test("numbers exclude numerically equal values; strings of digits are not numbers", () => {
    const p = { x: [{ "anything-but": [100, 200] }] };
    assert.equal(matches(p, { x: 100.0 }), false);
    assert.equal(matches(p, { x: 101 }), true);
    assert.equal(matches(p, { x: "100" }), true);
    assert.equal(matches({ x: [{ "anything-but": 0 }] }, { x: 789 }), true);
  });

  test("prefix, suffix, equals-ignore-case and wildcard forms exclude strings they match", () => {
    assert.equal(matches({ s: [{ "anything-but": { prefix: "init" } }] }, { s: "initializing" }), false);
    assert.equal(matches({ s: [{ "anything-but": { prefix: ["a", "b"] } }] }, { s: "cat" }), true);
    assert.equal(matches({ s: [{ "anything-but": { prefix: "init" } }] }, { s: 12 }), true);
    assert.equal(matches({ f: [{ "anything-but": { suffix: ".png" } }] }, { f: "a.png" }), false);
    assert.equal(
      matches({ s: [{ "anything-but": { "equals-ignore-case": ["Stopped"] } }] }, { s: "STOPPED" }),
      false,
    );
    assert.equal(
      matches({ s: [{ "anything-but": { "equals-ignore-case": "stopped" } }] }, { s: "pending" }),
      true,
    );
    assert.equal(matches({ p: [{ "anything-but": { wildcard: "*/lib/*" } }] }, { p: "/usr/lib/x" }), false);
    assert.equal(matches({ p: [{ "anything-but": { wildcard: "*/lib/*" } }] }, { p: "/usr/bin/x" }), true);
    assert.equal(matches({ p: [{ "anything-but": { wildcard: "" } }] }, { p: "" }), false);
  });
});

describe("numeric ranges", () => {
  test("bounds are open or closed as written; only JSON numbers qualify", () => {
    const p = { c: [{ numeric: [">", 0, "<=", 5] }] };
    assert.equal(matches(p, { c: 5 }), true);
    assert.equal(matches(p, { c: 0 }), false);
    assert.equal(matches(p, { c: 0.000001 }), true);
    assert.equal(matches(p, { c: 5.1 }), false);
    assert.equal(matches(p, { c: "3" }), false);
    assert.equal(matches(p, { c: null }), false);
    assert.equal(matches({ c: [{ numeric: [">=", 10] }] }, { c: 10 }), true);
    assert.equal(matches({ c: [{ numeric: ["<", 10] }] }, { c: 10 }), false);
    assert.equal(matches({ c: [{ numeric: ["=", 3.018e2] }] }, { c: 301.8 }), true);
  });

  test("values beyond ±5e9 never match a range; the bounds themselves do", () => {
    assert.equal(matches({ c: [{ numeric: [">", 0] }] }, { c: 6e9 }), false);
    assert.equal(matches({ c: [{ numeric: [">", 0] }] }, { c: 5e9 }), true);
    assert.equal(matches({ c: [{ numeric: ["<", 0] }] }, { c: -5e9 }), true);
  });

  test("comparisons keep six decimal places", () => {
    assert.equal(matches({ c: [{ numeric: [">", 2.5] }] }, { c: 2.5000001 }), false);
    assert.equal(matches({ c: [{ numeric: [">", 2.5] }] }, { c: 2.500001 }), true);
  });
});

describe("exists", () => {
  test("exists:true needs a value at the leaf; null counts, an object or an empty array does not", () => {
    const p = { d: { c: [{ exists: true }] } };
    assert.equal(matches(p, { d: { c: 1 } }), true);
    assert.equal(matches(p, { d: { c: null } }), true);
    assert.equal(matches(p, { d: { c: { e: 1 } } }), false);
    assert.equal(matches(p, { d: { c: [] } }), false);
    assert.equal(matches(p, { d: {} }), false);
  });

  test("exists:false holds when the leaf has no value, also when it is an intermediate object", () => {
    const p = { d: { c: [{ exists: false }] } };
    assert.equal(matches(p, { d: {} }), true);
    assert.equal(matches(p, {}), true);
    assert.equal(matches(p, { d: { c: { c1: 100 } } }), true);
    assert.equal(matches(p, { d: { c: 1 } }), false);
    assert.equal(matches(p, { d: { c: null } }), false);
    assert.equal(matches(p, { d: [{ x: 1 }, { c: 2 }] }), false, "any element's value counts");
  });

  test("exists:false beside other values in one list: absent, or present and matching them", () => {
    const p = { s: [{ "anything-but": ["roses"] }, { exists: false }] };
    assert.equal(matches(p, {}), true);
    assert.equal(matches(p, { s: "tulips" }), true);
    assert.equal(matches(p, { s: "roses" }), false);
  });

  test("a rule of only exists:false conditions matches events without those fields", () => {
    const p = { a: [{ exists: false }], b: [{ exists: false }] };
    assert.equal(matches(p, { c: 1 }), true);
    assert.equal(matches(p, { a: 1 }), false);
  });
});

describe("cidr", () => {
  test("IPv4 blocks cover their addresses; other strings and numbers do not match", () => {
    const p = { ip: [{ cidr: "10.0.0.0/24" }] };
    assert.equal(matches(p, { ip: "10.0.0.255" }), true);
    assert.equal(matches(p, { ip: "10.0.1.0" }), false);
    assert.equal(matches(p, { ip: "10.0.0.256" }), false);
    assert.equal(matches(p, { ip: 167772160 }), false);
    assert.equal(matches(p, { ip: "::ffff:a00:1" }), true, "an IPv4-mapped IPv6 address is the IPv4 address");
  });

  test("IPv6 blocks cover their addresses in any spelling", () => {
    const p = { ip: [{ cidr: "2001:db8:1234:1a00::/64" }] };
    assert.equal(matches(p, { ip: "2001:0db8:1234:1a00:0000:0000:0000:0000" }), true);
    assert.equal(matches(p, { ip: "2001:db8:1234:1a00:ffff:ffff:ffff:ffff" }), true);
    assert.equal(matches(p, { ip: "2001:db8:1234:1a01::" }), false);
    assert.equal(matches(p, { ip: "10.0.0.1" }), false);
  });

  test("as in event-ruler, the block starts at the address as written, not at the network address", () => {
    const p = { ip: [{ cidr: "10.0.0.128/24" }] };
    assert.equal(matches(p, { ip: "10.0.0.200" }), true);
    assert.equal(matches(p, { ip: "10.0.0.1" }), false);
  });
});

describe("wildcard", () => {
  test("stars match any run of characters, also none", () => {
    const p = { f: [{ wildcard: "/Users/*/doc.txt" }] };
    assert.equal(matches(p, { f: "/Users/me/dir/doc.txt" }), true);
    assert.equal(matches(p, { f: "/Users//doc.txt" }), true);
    assert.equal(matches(p, { f: "/Users/me/doc.txt.bak" }), false);
    assert.equal(
      matches(
        { a: [{ wildcard: "arn:aws:events:*:*:event-bus/*" }] },
        { a: "arn:aws:events:us-east-1:1:event-bus/b" },
      ),
      true,
    );
    assert.equal(matches({ a: [{ wildcard: "*ab*ab" }] }, { a: "xxabyab" }), true);
    assert.equal(matches({ a: [{ wildcard: "*ab*ab" }] }, { a: "ab" }), false);
  });

  test("escaped stars and backslashes are literal; no star means an exact match; non-strings never match", () => {
    assert.equal(matches({ a: [{ wildcard: "a\\*b" }] }, { a: "a*b" }), true);
    assert.equal(matches({ a: [{ wildcard: "a\\*b" }] }, { a: "axb" }), false);
    assert.equal(matches({ a: [{ wildcard: "a\\\\b*" }] }, { a: "a\\bc" }), true);
    assert.equal(matches({ a: [{ wildcard: "" }] }, { a: "x" }), false);
    assert.equal(matches({ a: [{ wildcard: "*" }] }, { a: 5 }), false);
  });
});

describe("$or", () => {
  test("alternatives at the top and inside objects combine with the other fields", () => {
    const p = {
      source: ["shop"],
      $or: [{ "detail-type": ["Order"] }, { detail: { amount: [{ numeric: [">", 100] }] } }],
    };
    assert.equal(matches(p, { source: "shop", "detail-type": "Order" }), true);
    assert.equal(matches(p, { source: "shop", "detail-type": "Refund", detail: { amount: 200 } }), true);
    assert.equal(matches(p, { source: "shop", "detail-type": "Refund", detail: { amount: 50 } }), false);
    assert.equal(matches(p, { source: "other", "detail-type": "Order" }), false);
  });

  test("nested $or and parallel $or multiply into every combination", () => {
    const p = {
      $or: [{ a: ["1"] }, { b: ["1"] }],
      detail: { $or: [{ c: ["1"] }, { d: ["1"], $or: [{ e: ["1"] }, { f: ["1"] }] }] },
    };
    assert.equal(matches(p, { b: "1", detail: { d: "1", f: "1" } }), true);
    assert.equal(matches(p, { a: "1", detail: { c: "1" } }), true);
    assert.equal(matches(p, { a: "1", detail: { d: "1" } }), false);
    assert.equal(matches(p, { detail: { c: "1" } }), false);
  });
});

describe("several values in one list are alternatives", () => {
  test("mixed operators in a list: any one suffices", () => {
    const p = { a: [{ exists: true }, { prefix: "IGNORED" }] };
    assert.equal(matches(p, { a: "my-value" }), true);
    const q = { n: [{ numeric: [">", 100] }, { "anything-but": "101" }] };
    assert.equal(matches(q, { n: "42" }), true);
    assert.equal(matches(q, { n: "101" }), false);
    assert.equal(matches(q, { n: 101 }), true);
  });
});
