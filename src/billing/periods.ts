import { BadRequestError } from "../core/errors.js";

/** Calendar days and billing months, in UTC. Days are `YYYY-MM-DD`, months `YYYY-MM`. */

const DAY_MS = 86_400_000;

/** A billing period: one calendar month in UTC, first and last day inclusive. */
export interface BillingPeriod {
  /** `YYYY-MM`. */
  period: string;
  firstDay: string;
  lastDay: string;
  days: number;
}

/**
 * The calendar month `YYYY-MM`.
 *
 * @example billingPeriod("2024-02") // { period: "2024-02", firstDay: "2024-02-01", lastDay: "2024-02-29", days: 29 }
 * @throws BadRequestError for anything else ("2026-13", "2026-3", "March").
 */
export function billingPeriod(period: unknown): BillingPeriod {
  const match = typeof period === "string" ? /^(\d{4})-(0[1-9]|1[0-2])$/.exec(period) : null;
  if (!match) {
    throw new BadRequestError(
      `Invalid period '${String(period)}': expected a calendar month as YYYY-MM, such as 2026-03`,
    );
  }
  const year = Number(match[1]);
  const month = Number(match[2]) - 1;
  const days = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const firstDay = dayOf(Date.UTC(year, month, 1));
  return { period: period as string, firstDay, lastDay: dayOf(Date.UTC(year, month, days)), days };
}

/** The billing period that contains the instant `ms`. */
export function periodOf(ms: number): string {
  return dayOf(ms).slice(0, 7);
}

/** The UTC day of an instant, `YYYY-MM-DD`. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Checks a `YYYY-MM-DD` day (a real calendar date) and returns it.
 *
 * @throws BadRequestError naming `field`.
 */
export function parseDay(day: unknown, field: string): string {
  const ok =
    typeof day === "string" &&
    /^\d{4}-\d{2}-\d{2}$/.test(day) &&
    dayOf(Date.parse(`${day}T00:00:00Z`)) === day;
  if (!ok)
    throw new BadRequestError(
      `Invalid ${field} '${String(day)}': expected a date as YYYY-MM-DD, such as 2026-03-15`,
    );
  return day as string;
}

/** `day` moved by `n` days. */
export function addDays(day: string, n: number): string {
  return dayOf(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS);
}

/** Days from `first` to `last`, both included (0 when `last` is before `first`). */
export function daysBetween(first: string, last: string): number {
  return Math.max(
    0,
    Math.round((Date.parse(`${last}T00:00:00Z`) - Date.parse(`${first}T00:00:00Z`)) / DAY_MS) + 1,
  );
}

/** The later and the earlier of two days (string order is date order for `YYYY-MM-DD`). */
export function laterDay(a: string, b: string): string {
  return a > b ? a : b;
}
export function earlierDay(a: string, b: string): string {
  return a < b ? a : b;
}
