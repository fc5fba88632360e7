import type { ServerResponse } from "node:http";

/**
 * The gateway's own answers, in one place: status, AWS's `x-amzn-ErrorType` and a JSON
 * `{"message"}` body, as API Gateway's gateway responses look.
 */
export function sendGatewayError(
  res: ServerResponse,
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
export const TIMED_OUT = {
  status: 504,
  type: "IntegrationTimeout",
  message: "Endpoint request timed out",
} as const;
