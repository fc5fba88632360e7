import { HOP_BY_HOP } from "./proxy.js";

/** The request header fields the gateway itself reads, from one pass over the raw list. */
export interface RequestHeaders {
  host: string;
  apiKey?: string;
  contentLength?: string;
  transferEncoding?: string;
  forwardedFor?: string;
  forwardedProto?: string;
  /** A browser's Origin (CORS). */
  origin?: string;
  /** Tokens of the Connection field: more header fields that end at this hop. */
  connection?: string;
  /** W3C trace context (the first traceparent counts). */
  traceparent?: string;
  /** The client's Cache-Control (a `max-age=0` asks the response cache for a fresh answer). */
  cacheControl?: string;
  /** For the access log (`$context.identity.userAgent`). */
  userAgent?: string;
}

/**
 * Reads the fields the gateway needs from a request's header list (`rawHeaders`: name, value,
 * name, value, ...; `names`: the lower-cased names) without building node's header object.
 * Repeated fields are joined with ", " as node does; only the first Host and x-api-key count.
 */
export function scanRequestHeaders(raw: string[], names: string[]): RequestHeaders {
  const out: RequestHeaders = { host: "" };
  let hostSeen = false;
  for (let i = 0; i < names.length; i++) {
    const value = raw[2 * i + 1]!;
    switch (names[i]) {
      case "host":
        if (!hostSeen) out.host = value;
        hostSeen = true;
        break;
      case "x-api-key":
        out.apiKey ??= value;
        break;
      case "connection":
        out.connection = joined(out.connection, value);
        break;
      case "content-length":
        out.contentLength = value;
        break;
      case "transfer-encoding":
        out.transferEncoding = joined(out.transferEncoding, value);
        break;
      case "x-forwarded-for":
        out.forwardedFor = joined(out.forwardedFor, value);
        break;
      case "x-forwarded-proto":
        out.forwardedProto ??= value;
        break;
      case "origin":
        out.origin ??= value;
        break;
      case "user-agent":
        out.userAgent ??= value;
        break;
      case "traceparent":
        out.traceparent ??= value;
        break;
      case "cache-control":
        out.cacheControl = joined(out.cacheControl, value);
        break;
    }
  }
  return out;
}

/** A repeated field's values as one, joined with ", " as node does. */
function joined(seen: string | undefined, value: string): string {
  return seen ? `${seen}, ${value}` : value;
}

/** Fields a client may not pass to the upstream; the gateway sets its own values for some. */
const NOT_FORWARDED = new Set([
  ...HOP_BY_HOP,
  "content-length", // written by the gateway from what it sends
  "expect", // the gateway answered 100-continue itself
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
]);

/**
 * The client's header fields as lines for the upstream request (`Name: value\r\n`), in the
 * order received, leaving out hop-by-hop fields, those named by Connection, `owned` ones and
 * every `x-tollgate-` field (the gateway's own, which the upstream must be able to trust).
 */
export function forwardedHeaderLines(
  raw: string[],
  names: string[],
  owned: Set<string>,
  connection: string | undefined,
): string {
  const listed = connection ? new Set(connection.toLowerCase().split(/\s*,\s*/)) : undefined;
  let lines = "";
  for (let i = 0; i < names.length; i++) {
    const lower = names[i]!;
    if (NOT_FORWARDED.has(lower) || owned.has(lower) || listed?.has(lower) || lower.startsWith("x-tollgate-"))
      continue;
    lines += `${raw[2 * i]!}: ${raw[2 * i + 1]}\r\n`;
  }
  return lines;
}
