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
