/** Limits of the pattern language, as EventBridge (event-ruler) applies them. */

/** Numeric matching covers -5e9..5e9 inclusive (event-ruler's ComparableNumber). */
export const NUMERIC_LIMIT = 5e9;

/** Numbers compare after truncation to this many steps per unit: 6 decimal places. */
export const NUMERIC_SCALE = 1e6;

/**
 * A wildcard rule whose event-ruler complexity (the most wildcard-pattern prefixes one input can
 * match at once) exceeds this is "too complex". AWS does not publish its threshold; 10 agrees with
 * every AWS-verified case (complexity 11 rejected, 7 accepted).
 */
export const MAX_WILDCARD_COMPLEXITY = 10;

/**
 * At most this many match branches after `$or` expansion (the product of the `$or` alternatives).
 * EventBridge documents a limit of 1,000 combinations; the exact message is not recorded.
 */
export const MAX_OR_COMBINATIONS = 1000;
