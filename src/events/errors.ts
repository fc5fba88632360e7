/**
 * The event bus's domain errors. Their `code` is EventBridge's exception name, so the edge
 * sends it as `__type` unchanged; every one of them is a client error (400) except
 * InternalException.
 */
export type EventsErrorCode =
  | "ValidationException"
  | "ResourceNotFoundException"
  | "ResourceAlreadyExistsException"
  | "InvalidEventPatternException"
  | "LimitExceededException"
  | "ConcurrentModificationException"
  | "ManagedRuleException"
  | "IllegalStatusException"
  | "AccessDeniedException"
  | "OperationDisabledException"
  | "InternalException";

export class EventsError extends Error {
  constructor(
    readonly code: EventsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

/** A parameter breaks a rule; nothing was changed. */
export class ValidationError extends EventsError {
  constructor(message: string) {
    super("ValidationException", message);
  }
}

export class ResourceNotFoundError extends EventsError {
  constructor(message: string) {
    super("ResourceNotFoundException", message);
  }
}

export class ResourceAlreadyExistsError extends EventsError {
  constructor(message: string) {
    super("ResourceAlreadyExistsException", message);
  }
}

export class LimitExceededError extends EventsError {
  constructor(message: string) {
    super("LimitExceededException", message);
  }
}

/** The resource is managed by Tollgate (an archive's rule) and changes only with `Force`. */
export class ManagedRuleError extends EventsError {
  constructor(message: string) {
    super("ManagedRuleException", message);
  }
}

/** The resource is in a state that does not allow the operation (cancelling a finished replay). */
export class IllegalStatusError extends EventsError {
  constructor(message: string) {
    super("IllegalStatusException", message);
  }
}

export class AccessDeniedError extends EventsError {
  constructor(message: string) {
    super("AccessDeniedException", message);
  }
}

/** AWS's one-constraint validation message: `1 validation error detected: Value 'x' at 'name' failed to satisfy constraint: ...`. */
export function constraintError(field: string, value: unknown, constraint: string): ValidationError {
  return new ValidationError(
    `1 validation error detected: Value '${display(value)}' at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}

function display(value: unknown): string {
  if (typeof value === "string") return value;
  return JSON.stringify(value) ?? String(value);
}
