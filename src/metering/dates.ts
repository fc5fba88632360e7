import { BadRequestError } from "../core/errors.js";
import { utcDay } from "./ledger.js";

/** One UTC day, ms. */
export const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The most days one get-usage call covers, counting both ends ("can't exceed 90 days", AWS). */
export const MAX_USAGE_RANGE_DAYS = 90;

/**
 * Epoch ms of 00:00 UTC of a `YYYY-MM-DD` date, or a 400 naming the parameter. Only real
 * calendar dates pass: `2026-02-30` and `2026-2-1` are refused, not rolled over.
 */
export function parseDay(name: string, value: string | undefined): number {
  if (value === undefined || value === "") {
    throw new BadRequestError(`${name} is required: a date in the form YYYY-MM-DD (e.g. 2016-01-01)`);
  }
  const match = DATE.exec(value);
  const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : Number.NaN;
  if (!match || Number.isNaN(ms) || utcDay(ms) !== value) {
    throw new BadRequestError(
      `Invalid ${name} '${value}': expected a date in the form YYYY-MM-DD (e.g. 2016-01-01)`,
    );
  }
  return ms;
}

/** A `startDate`..`endDate` pair, both parsed, in order. */
export function parseRange(startDate: string | undefined, endDate: string | undefined) {
  const start = parseDay("startDate", startDate);
  const end = parseDay("endDate", endDate);
  if (start > end) {
    throw new BadRequestError(
      `Invalid date range: startDate ${startDate} is after endDate ${endDate}; the start date must be on or before the end date`,
    );
  }
  return { start, end, days: (end - start) / DAY_MS + 1 };
}

/** Epoch ms of the start of the UTC day that holds `ms`. */
export function startOfDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** Every UTC day from `start` to `end` inclusive (both epoch ms at 00:00 UTC). */
export function eachDay(start: number, end: number): string[] {
  const days: string[] = [];
  for (let ms = start; ms <= end; ms += DAY_MS) days.push(utcDay(ms));
  return days;
}

/** The calendar month `YYYY-MM` as `[start, end)` in epoch ms, or a 400. */
export function parseMonth(name: string, value: string): { start: number; end: number } {
  const match = /^(\d{4})-(\d{2})$/.exec(value);
  const month = match ? Number(match[2]) : 0;
  if (!match || month < 1 || month > 12) {
    throw new BadRequestError(
      `Invalid ${name} '${value}': expected a month in the form YYYY-MM (e.g. 2026-01)`,
    );
  }
  const year = Number(match[1]);
  return { start: Date.UTC(year, month - 1, 1), end: Date.UTC(year, month, 1) };
}
