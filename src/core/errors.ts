/**
 * Domain errors. Every part throws these; the edges (admin API, gateway, CLI) map them to
 * their wire shapes in one place each. The `code` is AWS's exception name, so the admin edge
 * can use it as `x-amzn-ErrorType` unchanged.
 */
export type DomainErrorCode =
  | "BadRequestException"
  | "NotFoundException"
  | "ConflictException"
  | "LimitExceededException"
  | "UnauthorizedException"
  | "ForbiddenException";

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

/** The input is malformed or breaks a rule; nothing was changed. */
export class BadRequestError extends DomainError {
  constructor(message: string) {
    super("BadRequestException", message);
  }
}

/** The addressed resource does not exist. */
export class NotFoundError extends DomainError {
  constructor(message: string) {
    super("NotFoundException", message);
  }
}

/** The request conflicts with the current state (a duplicate name, a resource still in use). */
export class ConflictError extends DomainError {
  constructor(message: string) {
    super("ConflictException", message);
  }
}

/** A domain-level limit is reached (too many items of a kind). */
export class LimitExceededError extends DomainError {
  constructor(message: string) {
    super("LimitExceededException", message);
  }
}

export const HTTP_STATUS: Record<DomainErrorCode, number> = {
  BadRequestException: 400,
  UnauthorizedException: 401,
  ForbiddenException: 403,
  NotFoundException: 404,
  ConflictException: 409,
  LimitExceededException: 429,
};
