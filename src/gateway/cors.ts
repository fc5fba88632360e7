import type { IncomingMessage, ServerResponse } from "node:http";

const ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS";
const EXPOSE = "ratelimit, ratelimit-policy, retry-after, x-amzn-requestid, x-amzn-errortype";
/** Request headers a browser may send cross-origin; the key header is the one that matters. */
const ALLOW_HEADERS = "x-api-key, content-type, accept, authorization";

/**
 * CORS for the developer portal's origins, so its try-it calls reach the gateway from the
 * browser. Requests without an `Origin` of the list are untouched (no header, no cost beyond
 * one lookup); a preflight from a listed origin is answered here, before routing.
 */
export class GatewayCors {
  /** Allowed origins, e.g. `http://127.0.0.1:8082`; the server adds the portal's once it listens. */
  readonly origins = new Set<string>();

  /** Adds the CORS headers for an allowed origin; true when it answered a preflight (the request is done). */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = req.headers.origin;
    if (origin === undefined || !this.origins.has(origin)) return false;
    res.setHeader("access-control-allow-origin", origin);
    res.setHeader("vary", "Origin");
    if (req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) {
      res.writeHead(204, {
        "access-control-allow-methods": ALLOW_METHODS,
        "access-control-allow-headers": ALLOW_HEADERS,
        "access-control-max-age": "600",
        "content-length": "0",
      });
      res.end();
      return true;
    }
    res.setHeader("access-control-expose-headers", EXPOSE);
    return false;
  }
}
