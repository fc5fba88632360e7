/**
 * Event patterns: EventBridge's pattern language for the event bus. This part owns parsing and
 * validating patterns (with AWS's InvalidEventPatternException messages), compiling one pattern
 * into a matcher, the RuleMatcher index over many rules, and TestEventPattern's event checks.
 * docs/events-patterns.md describes the language as implemented.
 */

export { InvalidEventError, InvalidEventPatternError } from "./errors.js";
export { compilePattern, type EventPattern } from "./event-pattern.js";
export {
  MAX_OR_COMBINATIONS,
  MAX_WILDCARD_COMPLEXITY,
  NUMERIC_LIMIT,
} from "./limits.js";
export { RuleMatcher } from "./rule-matcher.js";
export { parseTestEvent, REQUIRED_EVENT_FIELDS, testEventPattern } from "./test-event-pattern.js";
