import type { FastifyReply } from "fastify";
import { ZodError } from "zod";
import { DomainError, HTTP_STATUS } from "../core/errors.js";

/**
 * The one place where errors become AWS's restJson1 error shape: the status, the
 * `x-amzn-ErrorType` header and a `{"message"}` body. Unknown errors are 500s whose cause
 * goes to the log, never to the client.
 */
export class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const { status, type, message } = describe(error);
  if (status >= 500) reply.log.error({ err: error }, "admin request failed");
  // AWS JSON protocol requests (X-Amz-Target) get the awsJson1.1 error body, with `__type`.
  if (reply.request?.headers["x-amz-target"]) {
    return reply
      .status(status)
      .header("x-amzn-ErrorType", type)
      .type("application/x-amz-json-1.1")
      .send(JSON.stringify({ __type: type, message }));
  }
  return reply.status(status).header("x-amzn-ErrorType", type).type("application/json").send({ message });
}

function describe(error: unknown): { status: number; type: string; message: string } {
  if (error instanceof AdminError) return { status: error.status, type: error.type, message: error.message };
  if (error instanceof DomainError)
    return { status: HTTP_STATUS[error.code], type: error.code, message: error.message };
  if (error instanceof ZodError)
    return { status: 400, type: "BadRequestException", message: formatZodError(error) };
  const fastifyError = error as { statusCode?: number; code?: string; message?: string };
  if (fastifyError.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return { status: 413, type: "RequestEntityTooLargeException", message: "Request body is too large" };
  }
  if (typeof fastifyError.statusCode === "number" && fastifyError.statusCode < 500) {
    return {
      status: fastifyError.statusCode,
      type: "BadRequestException",
      message: fastifyError.message ?? "Bad request",
    };
  }
  return { status: 500, type: "InternalFailure", message: "Internal server error" };
}

export function formatZodError(error: ZodError): string {
  const parts = error.issues.slice(0, 5).map((issue) => {
    const where = issue.path.length ? issue.path.join(".") : "body";
    return `${where}: ${issue.message}`;
  });
  return `Invalid request: ${parts.join("; ")}`;
}
