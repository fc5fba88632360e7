import type { IncomingHttpHeaders } from "node:http";
import type { z } from "zod";
import type { Principal } from "./auth.js";

/** What a route handler sees of a request: validated body, path parameters, first query values. */
export interface RouteRequest<Body> {
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  /** The query as sent, for parameters that repeat (`tagKeys=a&tagKeys=b`). */
  rawQuery: URLSearchParams;
  body: Body;
  /** The body as received; import routes read documents from it. */
  rawBody: Buffer;
  headers: IncomingHttpHeaders;
}

/** A response that is not JSON (an exported OpenAPI document, a CSV file). */
export class RawResponse {
  constructor(
    readonly contentType: string,
    readonly body: string | Buffer,
    readonly headers: Record<string, string> = {},
  ) {}
}

/**
 * One operation of the admin API, in API Gateway's REST shape. The route table is the single
 * source of the server's routing, its request validation and its published OpenAPI document.
 */
export interface AdminRoute<Body = unknown> {
  /** AWS's operation name (`CreateRestApi`), or Tollgate's own in the same style. */
  operationId: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** OpenAPI-style template: `/restapis/{restapi_id}/stages/{stage_name}`. */
  path: string;
  /** Chooses this operation when several share method and path (`POST /restapis?mode=import`). */
  when?: { query: string; equals: string };
  summary: string;
  /** JSON body schema; a body that fails it gets a 400 and the handler never runs. */
  body?: z.ZodType<Body>;
  /** The body is a document the handler parses itself (OpenAPI import). */
  rawBody?: { contentTypes: string[] };
  /** Documented query parameters: name to description. */
  query?: Record<string, string>;
  /** Documented response body; tests check real responses against it. */
  response?: z.ZodType;
  /** Status of a successful response (201 for creates, 202 for deletes, as AWS). */
  status: number;
  handle(request: RouteRequest<Body>): Promise<unknown>;
}

/** Declares a route with its body type inferred from its schema. */
export function route<S extends z.ZodType = z.ZodType<unknown>>(
  definition: Omit<AdminRoute<z.output<S>>, "body"> & { body?: S },
): AdminRoute<unknown> {
  return definition as unknown as AdminRoute<unknown>;
}

/**
 * An AWS JSON protocol service on the admin port (EventBridge's awsJson1.1): `POST /` with
 * `X-Amz-Target: <prefix>.<Operation>`. `handle` gets the parsed body and who signed; it
 * returns the JSON answer or throws (errors become `{"__type", "message"}`).
 */
export interface JsonProtocol {
  /** The X-Amz-Target prefix: `AWSEvents`. */
  prefix: string;
  handle(operation: string, body: unknown, principal: Principal): Promise<unknown>;
}
