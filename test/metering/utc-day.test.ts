import assert from "node:assert/strict";
import { test } from "node:test";
import { utcDay } from "../../src/metering/index.js";

test("utcDay gives the UTC calendar day at both edges of a day, in any order of calls", () => {
  const instants = [
    Date.UTC(2026, 10, 25, 23, 59, 59, 999),
    Date.UTC(2026, 10, 26),
    Date.UTC(2026, 10, 25),
    Date.UTC(2024, 1, 29, 12),
    -1,
    0,
  ];
  for (const ms of instants) assert.equal(utcDay(ms), new Date(ms).toISOString().slice(0, 10), String(ms));
});
