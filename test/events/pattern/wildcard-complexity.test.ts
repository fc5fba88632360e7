import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseWildcard } from "../../../src/events/pattern/wildcard.js";
import { wildcardComplexity } from "../../../src/events/pattern/wildcard-complexity.js";

/** Complexity of raw (unquoted) patterns, as event-ruler's MachineComplexityEvaluatorTest builds them. */
function complexity(...patterns: string[]): number {
  return wildcardComplexity(
    patterns.map((p) => parseWildcard(p)),
    1000,
    { quoted: false },
  );
}

describe("wildcard complexity, as event-ruler's MachineComplexityEvaluator counts it", () => {
  // Expected values from event-ruler's MachineComplexityEvaluatorTest.
  const single: [string, number][] = [
    ["*", 1],
    ["abc", 1],
    ["*ab", 2],
    ["*aa", 3],
    ["a*b", 2],
    ["aa*", 2],
    ["a*bc", 2],
    ["a*bb", 3],
    ["a*bcb", 3],
    ["a*bbb", 4],
    ["*ab*ad", 4],
    ["*ab*d", 3],
    ["*aba*", 4],
    ["a*b*bb", 5],
    ["a*b*cb", 4],
    ["a*b*cd", 3],
    ["a*b*b", 4],
    ["a*bb*", 4],
    ["ab*b*", 3],
    ["*ab*b*b*", 7],
    ["*a*a*a*a*a*a*a*a*", 17],
  ];
  for (const [pattern, expected] of single) {
    test(`${pattern} has complexity ${expected}`, () => {
      assert.equal(complexity(pattern), expected);
    });
  }

  const several: [string[], number][] = [
    [["*", "ab*c"], 3],
    [["ab*c", "x*xx"], 3],
    [["*abc", "*abcde"], 4],
    [["a*bcd", "ab*cd"], 4],
    [["a*bc", "a*bcde"], 4],
    [["a*aaa", "aa*aa"], 7],
    [["a*bc", "abc*d"], 4],
    [["a*aaa", "aaa*a"], 6],
    [["a*aax", "aaa*x"], 5],
    [["a*bc", "abc*"], 4],
    [["a*aa", "aaa*"], 5],
    [["abc*", "abcde*"], 3],
    [["ab*cd", "ab*wx", "ab*yz"], 6],
    [["ab*c", "ab*c"], 2],
  ];
  for (const [patterns, expected] of several) {
    test(`${patterns.join(" + ")} together have complexity ${expected}`, () => {
      assert.equal(complexity(...patterns), expected);
    });
  }

  test("evaluation stops once the cap is passed", () => {
    assert.equal(wildcardComplexity([parseWildcard("*a*a*a*a*a*a*a*a*")], 5, { quoted: false }), 6);
  });
});
