/** API Gateway's quota periods. */
export type QuotaPeriodUnit = "DAY" | "WEEK" | "MONTH";

const DAY_MS = 86_400_000;
/** 1970-01-01, day 0 of the epoch, was a Thursday (Sunday = 0). */
const EPOCH_WEEKDAY = 4;

/**
 * The largest `offset` for each period: DAY allows only 0; WEEK 0 (Sunday) to 6 (Saturday);
 * MONTH 0 to 27, so that the starting day (offset + 1) exists in every month, February included.
 */
export const MAX_QUOTA_OFFSET: Readonly<Record<QuotaPeriodUnit, number>> = { DAY: 0, WEEK: 6, MONTH: 27 };

/**
 * The calendar period, in UTC, that contains `now`: `[start, end)` in epoch ms.
 *
 * `offset` is API Gateway's QuotaSettings offset, "the day that a time period starts": for WEEK,
 * 0 starts the week on Sunday and 1 on Monday; for MONTH, offset n starts the period on day n + 1
 * of the month (0: the 1st); for DAY only 0 is allowed. Periods start at 00:00 UTC.
 *
 * @example
 * quotaPeriod(Date.UTC(2024, 1, 14, 12), "MONTH", 9) // Feb 10 00:00 to Mar 10 00:00, 2024
 * @throws RangeError when `offset` is not an integer in 0..MAX_QUOTA_OFFSET[period].
 */
export function quotaPeriod(
  now: number,
  period: QuotaPeriodUnit,
  offset: number,
): { start: number; end: number } {
  checkOffset(period, offset);
  const dayStart = Math.floor(now / DAY_MS) * DAY_MS;
  if (period === "DAY") return { start: dayStart, end: dayStart + DAY_MS };
  if (period === "WEEK") {
    const weekday = (((dayStart / DAY_MS + EPOCH_WEEKDAY) % 7) + 7) % 7;
    const start = dayStart - ((weekday - offset + 7) % 7) * DAY_MS;
    return { start, end: start + 7 * DAY_MS };
  }
  const date = new Date(dayStart);
  const year = date.getUTCFullYear();
  // Before the starting day, the period began in the previous month; Date.UTC wraps month -1 and 12.
  const month = date.getUTCMonth() - (date.getUTCDate() <= offset ? 1 : 0);
  return { start: Date.UTC(year, month, offset + 1), end: Date.UTC(year, month + 1, offset + 1) };
}

function checkOffset(period: QuotaPeriodUnit, offset: number): void {
  const max = MAX_QUOTA_OFFSET[period];
  if (max === undefined) throw new RangeError(`Unknown quota period '${period}': use DAY, WEEK or MONTH`);
  if (!Number.isInteger(offset) || offset < 0 || offset > max) {
    throw new RangeError(
      `Invalid quota offset ${offset} for period ${period}: must be an integer from 0 to ${max}`,
    );
  }
}
