import type { GatewayResponse } from "./http-server.js";

/**
 * The gateway's own answers, in one place: status, AWS's `x-amzn-ErrorType` and a JSON
 * `{"message"}` body, as API Gateway's gateway responses look.
 */
export function sendGatewayError(
  res: GatewayResponse,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({ message });
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "x-amzn-errortype": type,
  });
  res.end(body);
}

/** A refusal the gateway answers itself: status, AWS's error type, message and Tollgate's detail. */
export interface Refusal {
  status: number;
  type: string;
  message: string;
  /** What exactly is wrong (a validation error), sent as `detail` beside `message`. */
  detail?: string;
  /** IAM-style denials say `{"Message": ...}`, as AWS's do. */
  upperCaseMessage?: boolean;
  /** Close the connection after the answer (the rest of the request is not read). */
  close?: boolean;
}

/** Sends a refusal with the gateway's own headers (request id, CORS). */
export function sendRefusal(res: GatewayResponse, refusal: Refusal, headers: Record<string, string>): void {
  const body = JSON.stringify(
    refusal.upperCaseMessage
      ? { Message: refusal.message }
      : refusal.detail !== undefined
        ? { message: refusal.message, detail: refusal.detail }
        : { message: refusal.message },
  );
  const head: Record<string, string | number> = {
    ...headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "x-amzn-errortype": refusal.type,
  };
  if (refusal.close) head.connection = "close";
  res.writeHead(refusal.status, head);
  res.end(body);
}

export const UNAUTHORIZED = { status: 401, type: "UnauthorizedException", message: "Unauthorized" } as const;

export const FORBIDDEN = { status: 403, type: "ForbiddenException", message: "Forbidden" } as const;
export const TOO_MANY_REQUESTS = {
  status: 429,
  type: "TooManyRequestsException",
  message: "Too Many Requests",
} as const;
export const LIMIT_EXCEEDED = {
  status: 429,
  type: "LimitExceededException",
  message: "Limit Exceeded",
} as const;
/** The counter engine (Redis) failed and the configured choice is to fail closed. */
export const LIMITS_UNAVAILABLE = {
  status: 503,
  type: "ServiceUnavailableException",
  message: "Rate limiting is unavailable",
} as const;
export const TIMED_OUT = {
  status: 504,
  type: "IntegrationTimeout",
  message: "Endpoint request timed out",
} as const;
