import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compilePattern, InvalidEventPatternError } from "../../../src/events/pattern/index.js";

/** The InvalidEventPatternException text for a pattern (fails the test if the pattern is valid). */
function reason(text: string): string {
  try {
    compilePattern(text);
  } catch (e) {
    assert.ok(e instanceof InvalidEventPatternError);
    assert.equal(e.code, "InvalidEventPatternException");
    const prefix = "Event pattern is not valid. Reason: ";
    assert.ok(e.message.startsWith(prefix), e.message);
    return e.message.slice(prefix.length);
  }
  assert.fail(`pattern was accepted: ${text}`);
}

const at = (text: string, column: number, line = 1) =>
  `\n at [Source: (String)"${text}"; line: ${line}, column: ${column}]`;

describe("pattern text that is not a JSON object gets Jackson's parser messages", () => {
  test("a bare word is an unrecognized token, located after the word", () => {
    const text = "this is valid json but not a dict";
    assert.equal(
      reason(text),
      `Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')${at(text, 5)}`,
    );
  });

  test("a single-quoted field name is an unexpected character, located at the quote", () => {
    const text = "{'bad': 'quotation'}";
    assert.equal(
      reason(text),
      `Unexpected character (''' (code 39)): was expecting double-quote to start field name${at(text, 2)}`,
    );
  });

  test("a JSON array is not a filter", () => {
    assert.equal(reason('["a"]'), `Filter is not an object${at('["a"]', 2)}`);
  });

  test("empty text, a number and a string are not filters either", () => {
    assert.equal(reason(""), `Filter is not an object${at("", 1)}`);
    assert.equal(reason("42"), `Filter is not an object${at("42", 3)}`);
    assert.equal(reason('"x"'), `Filter is not an object${at('"x"', 2)}`);
  });

  test("an unterminated object reports the end of input and where the object started", () => {
    const text = '{"a": ["b"]';
    assert.equal(
      reason(text),
      `Unexpected end-of-input: expected close marker for Object (start marker at [Source: (String)"${text}"; line: 1, column: 1])${at(text, 12)}`,
    );
  });

  test("a missing comma, a missing colon and a trailing comma are reported where they are", () => {
    assert.equal(
      reason('{"a": ["b"] "c": ["d"]}'),
      `Unexpected character ('"' (code 34)): was expecting comma to separate Object entries${at('{"a": ["b"] "c": ["d"]}', 13)}`,
    );
    assert.equal(
      reason('{"a" ["b"]}'),
      `Unexpected character ('[' (code 91)): was expecting a colon to separate field name and value${at('{"a" ["b"]}', 6)}`,
    );
    assert.equal(
      reason('{"a": ["b"],}'),
      `Unexpected character ('}' (code 125)): was expecting double-quote to start field name${at('{"a": ["b"],}', 13)}`,
    );
  });

  test("numbers follow JSON strictly: no leading zeros, a digit after the point", () => {
    assert.match(reason('{"a": [01]}'), /^Invalid numeric value: Leading zeroes not allowed/);
    assert.match(
      reason('{"a": [1.]}'),
      /^Unexpected character \('\]' \(code 93\)\) in numeric value: Decimal point/,
    );
    assert.match(reason('{"a": [-x]}'), /expected digit \(0-9\) to follow minus sign/);
  });

  test("comments and control characters are refused", () => {
    assert.match(reason('{"a": /* c */ ["b"]}'), /maybe a \(non-standard\) comment\?/);
    assert.match(reason('{"a": ["b\nc"]}'), /^Illegal unquoted character \(\(CTRL-CHAR, code 10\)\)/);
    assert.match(reason('{"a": ["\\q"]}'), /^Unrecognized character escape 'q' \(code 113\)/);
  });

  test("lines and columns count from the last line break", () => {
    const text = '{\n  "a": []\n}';
    assert.equal(reason(text), `Empty arrays are not allowed${at(text, 10, 2)}`);
  });

  test("the source excerpt in a location is cut at 500 characters, as Jackson does", () => {
    const text = `{"a": [], "pad": "${"x".repeat(600)}"}`;
    const message = reason(text);
    assert.ok(message.endsWith(`"[truncated ${text.length - 500} chars]; line: 1, column: 9]`), message);
  });

  test("a repeated key keeps its last value list, and text after the pattern object is not read", () => {
    const p = compilePattern('{"a": ["x"], "a": ["y"]}');
    assert.equal(p.matches({ a: "y" }), true);
    assert.equal(p.matches({ a: "x" }), false);
    assert.equal(compilePattern('{"a": ["x"]} trailing').matches({ a: "x" }), true);
  });

  test("a repeated object key merges both objects' fields (keys are read as a stream, as AWS does)", () => {
    const p = compilePattern('{"d": {"a": ["x"]}, "d": {"b": ["y"]}}');
    assert.equal(p.matches({ d: { a: "x", b: "y" } }), true);
    assert.equal(p.matches({ d: { b: "y" } }), false);
  });
});

describe("pattern structure errors carry AWS's reasons", () => {
  const cases: [string, string][] = [
    ['{"a": []}', "Empty arrays are not allowed"],
    ['{"a": {}}', "Empty objects are not allowed"],
    ["{}", "Empty objects are not allowed"],
    ['{"a": "x"}', '"a" must be an object or an array'],
    ['{"a": 1}', '"a" must be an object or an array'],
    ['{"a": [["x"]]}', "Match value must be String, number, true, false, or null"],
    ['{"a": [{}]}', "Match expression name not found"],
    ['{"a": [{"EXISTS": true}]}', "Unrecognized match type EXISTS"],
    ['{"a": [{"prefix": "x", "suffix": "y"}]}', "Only one key allowed in match expression"],
    ['{"a": [{"prefix": 1}]}', "prefix match pattern must be a string"],
    ['{"a": [{"prefix": {"x": "y"}}]}', "Unsupported prefix pattern: x"],
    ['{"a": [{"prefix": {}}]}', "Prefix expression name not found"],
    ['{"a": [{"suffix": ["x"]}]}', "suffix match pattern must be a string"],
    ['{"a": [{"suffix": {"prefix": "y"}}]}', "Unsupported suffix pattern: prefix"],
    ['{"a": [{"equals-ignore-case": 1}]}', "equals-ignore-case match pattern must be a string"],
    ['{"a": [{"wildcard": 1}]}', "wildcard match pattern must be a string"],
    ['{"a": [{"wildcard": "a**"}]}', "Consecutive wildcard characters at pos 2"],
    ['{"a": [{"wildcard": "a\\\\b"}]}', "Invalid escape character at pos 2"],
    ['{"a": [{"exists": "yes"}]}', "exists match pattern must be either true or false."],
    ['{"a": [{"exactly": 1}]}', "exact match pattern must be a string"],
  ];
  for (const [text, expected] of cases) {
    test(`${text} → ${expected}`, () => {
      assert.equal(reason(text).split("\n")[0], expected);
    });
  }
});

describe("numeric expressions are checked like event-ruler's", () => {
  const cases: [string, string][] = [
    ['{"n": [{"numeric": 5}]}', "Value of numeric must be an array."],
    ['{"n": [{"numeric": []}]}', "Invalid member in numeric match: ]"],
    ['{"n": [{"numeric": [5]}]}', "Invalid member in numeric match: 5"],
    ['{"n": [{"numeric": ["!=", 5]}]}', "Unrecognized numeric range operator: !="],
    ['{"n": [{"numeric": ["=", "5"]}]}', "Value of equals must be numeric"],
    ['{"n": [{"numeric": [">", "5"]}]}', "Value of > must be numeric"],
    ['{"n": [{"numeric": ["<=", 1, 2]}]}', "Too many elements in numeric expression"],
    ['{"n": [{"numeric": [">", 0, 5]}]}', "Bad value in numeric range: 5"],
    ['{"n": [{"numeric": [">", 0, ">", 5]}]}', "Bad numeric range operator: >"],
    ['{"n": [{"numeric": [">", 0, "<"]}]}', "Value of < must be numeric"],
    ['{"n": [{"numeric": [">", 0, "<", 5, 6]}]}', "Too many terms in numeric range expression"],
    ['{"n": [{"numeric": [">", 5, "<", 5]}]}', "Bottom must be less than top"],
    ['{"n": [{"numeric": [">=", 1.0000001, "<=", 1.0000002]}]}', "Bottom must be less than top"],
    ['{"n": [{"numeric": [">", 6e9]}]}', "Value must be between -5.0E9 and 5.0E9, inclusive"],
    ['{"n": [{"numeric": ["=", -5000000001]}]}', "Value must be between -5.0E9 and 5.0E9, inclusive"],
    ['{"n": [{"numeric": ["<", 1], "x": 1}]}', "Too many elements in numeric expression"],
  ];
  for (const [text, expected] of cases) {
    test(`${text} → ${expected}`, () => {
      assert.equal(reason(text).split("\n")[0], expected);
    });
  }

  test("the range limit inside numeric is located, a lone anything-but number out of range is not", () => {
    assert.ok(reason('{"n": [{"numeric": [">", 6e9]}]}').includes("\n at [Source:"));
    assert.equal(
      reason('{"n": [{"anything-but": 6e9}]}'),
      "Value must be between -5.0E9 and 5.0E9, inclusive",
    );
  });
});

describe("anything-but is checked like event-ruler's", () => {
  const cases: [string, string][] = [
    [
      '{"s": [{"anything-but": null}]}',
      "Value of anything-but must be an array or single string/number value.",
    ],
    [
      '{"s": [{"anything-but": true}]}',
      "Value of anything-but must be an array or single string/number value.",
    ],
    [
      '{"s": [{"anything-but": ["a", null]}]}',
      "Inside anything but list, start|null|boolean is not supported.",
    ],
    [
      '{"s": [{"anything-but": ["a", 1]}]}',
      "Inside anything but list, either all values are number or string, mixed type is not supported",
    ],
    [
      '{"s": [{"anything-but": []}]}',
      "Inside anything but list, either all values are number or string, mixed type is not supported",
    ],
    ['{"s": [{"anything-but": {}}]}', "Anything-But expression name not found"],
    ['{"s": [{"anything-but": {"numeric": [">", 1]}}]}', "Unsupported anything-but pattern: numeric"],
    ['{"s": [{"anything-but": {"prefix": ""}}]}', "Null prefix/suffix not allowed"],
    ['{"s": [{"anything-but": {"suffix": ["a", ""]}}]}', "Null prefix/suffix not allowed"],
    ['{"s": [{"anything-but": {"prefix": 1}}]}', "prefix/suffix match pattern must be a string"],
    ['{"s": [{"anything-but": {"wildcard": [1]}}]}', "wildcard match pattern must be a string"],
    ['{"s": [{"anything-but": {"wildcard": "a**"}}]}', "Consecutive wildcard characters at pos 2"],
    [
      '{"s": [{"anything-but": {"equals-ignore-case": 1}}]}',
      "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
    ],
    [
      '{"s": [{"anything-but": {"prefix": {"equals-ignore-case": "a"}}}]}',
      "Value of anything-but must be an array or single string/number value.",
    ],
    ['{"s": [{"anything-but": "a", "x": 1}]}', "Too many elements in numeric expression"],
  ];
  for (const [text, expected] of cases) {
    test(`${text} → ${expected}`, () => {
      assert.equal(reason(text).split("\n")[0], expected);
    });
  }

  test("errors inside anything-but lists repeat the location, as AWS's messages do", () => {
    const message = reason('{"s": [{"anything-but": ["a", null]}]}');
    assert.equal(message.split("\n at [Source:").length, 3, message);
  });
});

describe("cidr values are checked like event-ruler's", () => {
  const cases: [string, string][] = [
    ["bad", "Malformed CIDR, one '/' required"],
    ["10.0.0.0/", "Malformed CIDR, one '/' required"],
    ["1/2/3", "Malformed CIDR, one '/' required"],
    ["10.0.0.0/x", "Malformed CIDR, mask bits must be an integer"],
    ["10.0.0.0/-1", "Malformed CIDR, mask bits must not be negative"],
    ["10.0.0.0/32", "IPv4 mask bits must be < 32"],
    ["::/128", "IPv6 mask bits must be < 128"],
    ["xx.11.xx/8", "Nonstandard IP address: xx.11.xx"],
    ["10.0.0.300/8", "Invalid IP address: 10.0.0.300"],
    ["1:2/8", "Invalid IP address: 1:2"],
  ];
  for (const [cidr, expected] of cases) {
    test(`cidr ${cidr} → ${expected} (no location: AWS reports these without one)`, () => {
      assert.equal(reason(JSON.stringify({ ip: [{ cidr }] })), expected);
    });
  }

  test("a cidr that is not a string is refused with event-ruler's (odd) prefix message", () => {
    assert.equal(
      reason('{"ip": [{"cidr": ["10.0.0.0/8"]}]}').split("\n")[0],
      "prefix match pattern must be a string",
    );
  });
});

describe("$or is checked like event-ruler's JsonRuleCompiler", () => {
  const cases: [string, string][] = [
    ['{"$or": {"a": ["x"]}}', "It must be an Array followed with $or."],
    ['{"$or": [{"a": ["x"]}]}', "There must have at least 2 Objects in $or relationship."],
    ['{"$or": [{"a": ["x"]}, ["b"]]}', "Only JSON object is allowed in array of $or relationship."],
    ['{"$or": [{"a": ["x"]}, {}]}', "Empty objects are not allowed"],
    [
      '{"$or": [{"a": ["x"]}, {"prefix": ["b"]}]}',
      "prefix is Ruler reserved fieldName which cannot be used inside $or.",
    ],
    [
      '{"$or": [{"a": ["x"]}, {"b": {"numeric": ["c"]}}]}',
      "numeric is Ruler reserved fieldName which cannot be used inside $or.",
    ],
  ];
  for (const [text, expected] of cases) {
    test(`${text} → ${expected}`, () => {
      assert.equal(reason(text).split("\n")[0], expected);
    });
  }

  test("more than 1,000 combined $or branches are refused as too complex", () => {
    const or = (field: string) => ({ $or: Array.from({ length: 10 }, (_, i) => ({ [field]: [`v${i}`] })) });
    const pattern = { a: or("x"), b: or("y"), c: or("z"), d: or("w") };
    assert.match(reason(JSON.stringify(pattern)), /^Rule is too complex/);
    const ok = { a: or("x"), b: or("y"), c: or("z") };
    assert.equal(
      compilePattern(JSON.stringify(ok)).matches({ a: { x: "v1" }, b: { y: "v2" }, c: { z: "v3" } }),
      true,
    );
  });

  test("wildcards too complex for event-ruler's evaluator are refused, simpler ones accepted", () => {
    assert.equal(
      reason('{"arn": [{"wildcard": "*:*:*:*:*:event-bus/*"}]}'),
      "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character",
    );
    compilePattern('{"arn": [{"wildcard": "arn:aws:events:*:*:event-bus/*"}]}');
    compilePattern('{"f": [{"wildcard": "/Users/*/dir/dir/dir/dir/dir/doc.txt"}]}');
  });
});
