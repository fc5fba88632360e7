import type { CorsConfiguration } from "../apis/index.js";
import { headerValue } from "./authorizers.js";
import type { GatewayResponse } from "./http-server.js";
import type { Refusal } from "./responses.js";

const ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS";
/** The gateway's own response headers a browser script may read. */
const EXPOSE = "ratelimit, ratelimit-policy, retry-after, x-amzn-requestid, x-amzn-errortype";
/** Request headers a browser may send cross-origin by default (API Gateway's console defaults). */
const ALLOW_HEADERS = "content-type, x-amz-date, authorization, x-api-key, x-amz-security-token";
const PORTAL_ALLOW_HEADERS = "x-api-key, content-type, accept, authorization";

/** An API's CORS configuration, compiled into the header values it answers with. */
export interface CompiledCors {
  /** Allowed origins (lower-case), or undefined for `*`. */
  origins?: Set<string>;
  allowMethods: string;
  /** undefined: `*`, echo what the preflight asks for. */
  allowHeaders?: string;
  expose: string;
  maxAge?: string;
  credentials: boolean;
}

export function compileCors(config: CorsConfiguration): CompiledCors {
  const any = config.allowOrigins.includes("*");
  return {
    origins: any ? undefined : new Set(config.allowOrigins),
    allowMethods:
      config.allowMethods?.length && !config.allowMethods.includes("*")
        ? config.allowMethods.join(", ")
        : ALLOW_METHODS,
    allowHeaders: config.allowHeaders?.includes("*")
      ? undefined
      : (config.allowHeaders?.join(", ") ?? ALLOW_HEADERS),
    expose: config.exposeHeaders?.length ? `${config.exposeHeaders.join(", ")}, ${EXPOSE}` : EXPOSE,
    maxAge: config.maxAge === undefined ? undefined : String(config.maxAge),
    credentials: config.allowCredentials === true,
  };
}

/**
 * CORS at the gateway, for requests that carry an `Origin`: an API's own configuration (on the
 * stage's deployment), and the developer portal's origins (so its try-it calls reach every API).
 * Requests without an `Origin` never get here.
 */
export class GatewayCors {
  /** The portal's origins, e.g. `http://127.0.0.1:8082`; the server adds them once it listens. */
  readonly origins = new Set<string>();

  /**
   * Adds the CORS response headers for `origin` to `own`. For a preflight (OPTIONS with
   * Access-Control-Request-Method) it answers: true when it did, or a refusal to send (an
   * origin the API does not allow). False: carry on with the request.
   */
  apply(
    api: CompiledCors | undefined,
    origin: string,
    method: string,
    rawHeaders: string[],
    own: Record<string, string>,
    res: GatewayResponse,
  ): boolean | Refusal {
    const preflight =
      method === "OPTIONS" && headerValue(rawHeaders, "access-control-request-method") !== undefined;
    const lower = origin.toLowerCase();
    if (api && (!api.origins || api.origins.has(lower))) {
      own["access-control-allow-origin"] = api.origins || api.credentials ? origin : "*";
      own.vary = "Origin";
      if (api.credentials) own["access-control-allow-credentials"] = "true";
      if (!preflight) {
        own["access-control-expose-headers"] = api.expose;
        return false;
      }
      const headers: Record<string, string> = {
        ...own,
        "access-control-allow-methods": api.allowMethods,
        "access-control-allow-headers":
          api.allowHeaders ?? headerValue(rawHeaders, "access-control-request-headers") ?? "",
        "content-length": "0",
      };
      if (api.maxAge !== undefined) headers["access-control-max-age"] = api.maxAge;
      res.writeHead(204, headers);
      res.end();
      return true;
    }
    if (this.origins.has(origin)) {
      own["access-control-allow-origin"] = origin;
      own.vary = "Origin";
      if (!preflight) {
        own["access-control-expose-headers"] = EXPOSE;
        return false;
      }
      res.writeHead(204, {
        ...own,
        "access-control-allow-methods": ALLOW_METHODS,
        "access-control-allow-headers": PORTAL_ALLOW_HEADERS,
        "access-control-max-age": "600",
        "content-length": "0",
      });
      res.end();
      return true;
    }
    if (api && preflight) {
      return {
        status: 403,
        type: "ForbiddenException",
        message: `CORS: origin ${origin} is not allowed by this API's CORS configuration`,
      };
    }
    return false;
  }
}
