import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MAX_QUOTA_OFFSET, quotaPeriod } from "../../src/counters/index.js";

const DAY = 86_400_000;
const utc = (y: number, m: number, d: number, h = 0, min = 0, s = 0, ms = 0) =>
  Date.UTC(y, m - 1, d, h, min, s, ms);
const iso = (p: { start: number; end: number }) => [
  new Date(p.start).toISOString(),
  new Date(p.end).toISOString(),
];

/** The oracle: walk back a day at a time from `now`'s midnight until `isStart` holds. */
function naiveStart(now: number, isStart: (d: Date) => boolean): number {
  let day = Math.floor(now / DAY) * DAY;
  while (!isStart(new Date(day))) day -= DAY;
  return day;
}

describe("quotaPeriod: DAY", () => {
  test("a day runs from 00:00 UTC to the next 00:00, end exclusive", () => {
    assert.deepEqual(iso(quotaPeriod(utc(2024, 3, 10, 13, 5), "DAY", 0)), [
      "2024-03-10T00:00:00.000Z",
      "2024-03-11T00:00:00.000Z",
    ]);
  });

  test("the last millisecond of a day is in that day, the next one in the next day", () => {
    const last = quotaPeriod(utc(2024, 12, 31, 23, 59, 59, 999), "DAY", 0);
    const first = quotaPeriod(utc(2025, 1, 1), "DAY", 0);
    assert.equal(last.end, utc(2025, 1, 1));
    assert.equal(first.start, utc(2025, 1, 1));
    assert.equal(first.end, utc(2025, 1, 2));
  });

  test("only offset 0 is allowed", () => {
    assert.throws(
      () => quotaPeriod(0, "DAY", 1),
      /Invalid quota offset 1 for period DAY: must be an integer from 0 to 0/,
    );
  });
});

describe("quotaPeriod: WEEK", () => {
  test("offset 0 starts the week on Sunday and offset 1 on Monday", () => {
    const wednesday = utc(2024, 1, 10, 8);
    assert.deepEqual(iso(quotaPeriod(wednesday, "WEEK", 0)), [
      "2024-01-07T00:00:00.000Z",
      "2024-01-14T00:00:00.000Z",
    ]);
    assert.deepEqual(iso(quotaPeriod(wednesday, "WEEK", 1)), [
      "2024-01-08T00:00:00.000Z",
      "2024-01-15T00:00:00.000Z",
    ]);
  });

  test("the last millisecond of Saturday ends a Sunday week; Sunday 00:00 starts the next", () => {
    const saturdayLast = utc(2024, 1, 13, 23, 59, 59, 999);
    assert.equal(quotaPeriod(saturdayLast, "WEEK", 0).start, utc(2024, 1, 7));
    assert.equal(quotaPeriod(saturdayLast + 1, "WEEK", 0).start, utc(2024, 1, 14));
  });

  test("a Sunday is the last day of a Monday week", () => {
    assert.equal(quotaPeriod(utc(2024, 1, 14, 23, 59, 59, 999), "WEEK", 1).start, utc(2024, 1, 8));
    assert.equal(quotaPeriod(utc(2024, 1, 15), "WEEK", 1).start, utc(2024, 1, 15));
  });

  test("every offset, every day and both edges of each day over three years match the calendar", () => {
    for (let offset = 0; offset <= 6; offset++) {
      for (let day = utc(2023, 1, 1); day < utc(2026, 1, 1); day += DAY) {
        for (const now of [day, day + DAY - 1]) {
          const period = quotaPeriod(now, "WEEK", offset);
          const start = naiveStart(now, (d) => d.getUTCDay() === offset);
          assert.equal(period.start, start, `offset ${offset} at ${new Date(now).toISOString()}`);
          assert.equal(period.end, start + 7 * DAY);
        }
      }
    }
  });

  test("weeks before 1970 are computed the same way", () => {
    assert.deepEqual(iso(quotaPeriod(utc(1969, 12, 31, 12), "WEEK", 0)), [
      "1969-12-28T00:00:00.000Z",
      "1970-01-04T00:00:00.000Z",
    ]);
  });

  test("offsets outside 0..6 are refused", () => {
    assert.throws(() => quotaPeriod(0, "WEEK", 7), RangeError);
    assert.throws(() => quotaPeriod(0, "WEEK", -1), RangeError);
    assert.throws(() => quotaPeriod(0, "WEEK", 1.5), RangeError);
  });
});

describe("quotaPeriod: MONTH", () => {
  test("offset 0 runs from the 1st to the 1st of the next month, whatever the month's length", () => {
    assert.deepEqual(iso(quotaPeriod(utc(2024, 1, 31, 23, 59, 59, 999), "MONTH", 0)), [
      "2024-01-01T00:00:00.000Z",
      "2024-02-01T00:00:00.000Z",
    ]);
    assert.equal(quotaPeriod(utc(2024, 4, 30), "MONTH", 0).end, utc(2024, 5, 1));
    assert.equal(quotaPeriod(utc(2024, 2, 1), "MONTH", 0).start, utc(2024, 2, 1));
  });

  test("February has 29 days in a leap year and 28 otherwise", () => {
    const leap = quotaPeriod(utc(2024, 2, 29, 12), "MONTH", 0);
    assert.equal(leap.end - leap.start, 29 * DAY);
    const common = quotaPeriod(utc(2023, 2, 28, 12), "MONTH", 0);
    assert.equal(common.end - common.start, 28 * DAY);
    const century = quotaPeriod(utc(2100, 2, 28, 12), "MONTH", 0);
    assert.equal(century.end - century.start, 28 * DAY, "2100 is not a leap year");
    const fourHundred = quotaPeriod(utc(2000, 2, 29, 12), "MONTH", 0);
    assert.equal(fourHundred.end - fourHundred.start, 29 * DAY, "2000 is a leap year");
  });

  test("offset n starts the period on day n + 1; the day before belongs to the previous period", () => {
    assert.deepEqual(iso(quotaPeriod(utc(2024, 2, 9, 23, 59, 59, 999), "MONTH", 9)), [
      "2024-01-10T00:00:00.000Z",
      "2024-02-10T00:00:00.000Z",
    ]);
    assert.deepEqual(iso(quotaPeriod(utc(2024, 2, 10), "MONTH", 9)), [
      "2024-02-10T00:00:00.000Z",
      "2024-03-10T00:00:00.000Z",
    ]);
  });

  test("a period crossing the new year starts in December", () => {
    assert.deepEqual(iso(quotaPeriod(utc(2024, 1, 5), "MONTH", 14)), [
      "2023-12-15T00:00:00.000Z",
      "2024-01-15T00:00:00.000Z",
    ]);
    assert.deepEqual(iso(quotaPeriod(utc(2023, 12, 31, 23, 59, 59, 999), "MONTH", 0)), [
      "2023-12-01T00:00:00.000Z",
      "2024-01-01T00:00:00.000Z",
    ]);
  });

  test("offset 27, the largest, starts on the 28th, which every February has", () => {
    assert.deepEqual(iso(quotaPeriod(utc(2023, 2, 27, 23, 59, 59, 999), "MONTH", 27)), [
      "2023-01-28T00:00:00.000Z",
      "2023-02-28T00:00:00.000Z",
    ]);
    assert.deepEqual(iso(quotaPeriod(utc(2023, 3, 1), "MONTH", 27)), [
      "2023-02-28T00:00:00.000Z",
      "2023-03-28T00:00:00.000Z",
    ]);
    assert.equal(MAX_QUOTA_OFFSET.MONTH, 27);
  });

  test("every offset, every day and both edges of each day over three years match the calendar", () => {
    for (let offset = 0; offset <= 27; offset++) {
      for (let day = utc(2023, 1, 1); day < utc(2026, 1, 1); day += DAY) {
        for (const now of [day, day + DAY - 1]) {
          const period = quotaPeriod(now, "MONTH", offset);
          const start = naiveStart(now, (d) => d.getUTCDate() === offset + 1);
          const next = new Date(start);
          next.setUTCMonth(next.getUTCMonth() + 1);
          assert.equal(period.start, start, `offset ${offset} at ${new Date(now).toISOString()}`);
          assert.equal(period.end, next.getTime());
        }
      }
    }
  });

  test("offsets outside 0..27 are refused with the field and value named", () => {
    assert.throws(
      () => quotaPeriod(0, "MONTH", 28),
      /Invalid quota offset 28 for period MONTH: must be an integer from 0 to 27/,
    );
    assert.throws(() => quotaPeriod(0, "MONTH", -1), RangeError);
  });

  test("an unknown period is refused", () => {
    assert.throws(() => quotaPeriod(0, "YEAR" as "DAY", 0), /Unknown quota period 'YEAR'/);
  });
});
