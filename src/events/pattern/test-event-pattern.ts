import { InvalidEventError } from "./errors.js";
import { compilePattern } from "./event-pattern.js";

/**
 * The envelope fields TestEventPattern requires in its Event. AWS's API reference also lists
 * `resources`, but AWS accepts events without it (see the conformance corpus), so Tollgate does too.
 */
export const REQUIRED_EVENT_FIELDS = ["id", "account", "source", "time", "region", "detail-type"] as const;

/** Parses a TestEventPattern event; throws InvalidEventError unless it is a JSON object with the envelope. */
export function parseTestEvent(eventText: string): Record<string, unknown> {
  let event: unknown;
  try {
    event = JSON.parse(eventText);
  } catch {
    throw new InvalidEventError();
  }
  if (typeof event !== "object" || event === null || Array.isArray(event)) throw new InvalidEventError();
  const record = event as Record<string, unknown>;
  for (const field of REQUIRED_EVENT_FIELDS) {
    if (!Object.hasOwn(record, field)) throw new InvalidEventError();
  }
  return record;
}

/** TestEventPattern: validates the event text as EventBridge does (throws InvalidEventError) and the pattern (throws InvalidEventPatternError), then matches. */
export function testEventPattern(patternText: string, eventText: string): boolean {
  const event = parseTestEvent(eventText);
  return compilePattern(patternText).matches(event);
}
