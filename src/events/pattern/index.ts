/**
 * Event patterns: EventBridge's pattern language for the event bus. This part owns parsing and
 * validating patterns (with AWS's InvalidEventPatternException messages), compiling one pattern
 * into a matcher, the RuleMatcher index over many rules, and TestEventPattern's event checks.
 */

/** AWS's InvalidEventPatternException; `message` is AWS's full message text, e.g. "Event pattern is not valid. Reason: Empty arrays are not allowed". */
export class InvalidEventPatternError extends Error {
  readonly code = "InvalidEventPatternException";
  constructor(message: string) {
    super(message);
    this.name = "InvalidEventPatternError";
  }
}

/** AWS's ValidationException for a TestEventPattern event that is not valid ("Parameter Event is not valid."). */
export class InvalidEventError extends Error {
  readonly code = "ValidationException";
  constructor(message = "Parameter Event is not valid.") {
    super(message);
    this.name = "InvalidEventError";
  }
}

/** A compiled pattern. */
export interface EventPattern {
  matches(event: unknown): boolean;
  /** the pattern text as given */
  readonly text: string;
}

/** Parses, validates and compiles a pattern given as JSON text (as PutRule/TestEventPattern receive it). Throws InvalidEventPatternError. */
export function compilePattern(text: string): EventPattern {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidEventPatternError("Event pattern is not valid. Reason: not JSON");
  }
  void parsed;
  return { text, matches: () => false };
}

/** Many rules compiled together: match(event) returns the ids of every rule whose pattern matches. add/remove are incremental. */
export class RuleMatcher<Id> {
  readonly #rules = new Map<Id, EventPattern>();
  get size(): number {
    return this.#rules.size;
  }
  add(id: Id, pattern: EventPattern): void {
    this.#rules.set(id, pattern);
  }
  remove(id: Id): void {
    this.#rules.delete(id);
  }
  match(event: unknown): Id[] {
    const out: Id[] = [];
    for (const [id, p] of this.#rules) if (p.matches(event)) out.push(id);
    return out;
  }
}

/** TestEventPattern: validates the event text as EventBridge does (throws InvalidEventError) and the pattern (throws InvalidEventPatternError), then matches. */
export function testEventPattern(patternText: string, eventText: string): boolean {
  const pattern = compilePattern(patternText);
  let event: unknown;
  try {
    event = JSON.parse(eventText);
  } catch {
    throw new InvalidEventError();
  }
  return pattern.matches(event);
}
