import { NUMERIC_LIMIT, NUMERIC_SCALE } from "./limits.js";

/**
 * event-ruler's ComparableNumber as a double: (5e9 + value) * 1e6, truncated toward zero. Two
 * numbers are numerically equal for patterns when their keys are equal, so comparisons keep six
 * decimal places and no more. Java computes the product in double and casts to long; every such
 * long is the truncated double itself, so the same arithmetic in JavaScript gives equal keys.
 * Returns NaN for values outside -5e9..5e9 (not comparable).
 */
export function comparableKey(value: number): number {
  if (!(value >= -NUMERIC_LIMIT && value <= NUMERIC_LIMIT)) return Number.NaN;
  return Math.trunc(NUMERIC_SCALE * (NUMERIC_LIMIT + value));
}

/** The IllegalArgumentException text for a number outside the comparable range. */
export const NUMERIC_RANGE_MESSAGE = "Value must be between -5.0E9 and 5.0E9, inclusive";
