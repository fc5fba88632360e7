/**
 * Access log formats with API Gateway's `$context` variables (a stage's
 * `accessLogSettings.format`), compiled once per configuration load into a list of literal
 * pieces and readers. Values are escaped as inside a JSON string (quotes, backslashes, control
 * characters), so a JSON format stays valid JSON and any format stays one line; a value the
 * request does not have renders as `-`, as on AWS (UpdateStage refuses unknown variables).
 */
import { knownLogVariable } from "../apis/index.js";
import type { AccessLogEntry } from "./access-log.js";

/** Renders one entry as a line (without the newline). */
export type LogFormat = (entry: AccessLogEntry) => string;

type Value = string | number | boolean | undefined;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

/** `25/Nov/2026:14:18:33 +0000`, AWS's `$context.requestTime` (CLF, UTC). */
export function clfTime(iso: string): string {
  const d = new Date(iso);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** AWS's gateway response type of an answer the gateway gave itself (`$context.error.responseType`). */
export function responseType(entry: AccessLogEntry): string | undefined {
  if (!entry.errorType) return undefined;
  switch (entry.errorType) {
    case "TooManyRequestsException":
      return "THROTTLED";
    case "LimitExceededException":
      return "QUOTA_EXCEEDED";
    case "UnauthorizedException":
      return "UNAUTHORIZED";
    case "AccessDeniedException":
      return "ACCESS_DENIED";
    case "ForbiddenException":
      return entry.keyId === undefined ? "MISSING_AUTHENTICATION_TOKEN" : "ACCESS_DENIED";
    case "NotFoundException":
      return "RESOURCE_NOT_FOUND";
    case "BadRequestException":
      return "BAD_REQUEST_BODY";
    case "BadGatewayException":
      return "INTEGRATION_FAILURE";
    case "IntegrationTimeout":
      return "INTEGRATION_TIMEOUT";
    case "AuthorizerConfigurationException":
      return "AUTHORIZER_CONFIGURATION_ERROR";
  }
  if (entry.status === 413) return "REQUEST_TOO_LARGE";
  return entry.status >= 500 ? "DEFAULT_5XX" : "DEFAULT_4XX";
}

const pathOnly = (path: string) => {
  const q = path.indexOf("?");
  return q === -1 ? path : path.slice(0, q);
};

/** The `$context` variables Tollgate renders, by name. */
const VARIABLES: Record<string, (e: AccessLogEntry) => Value> = {
  requestId: (e) => e.requestId,
  extendedRequestId: (e) => e.requestId,
  "identity.sourceIp": (e) => e.ip,
  "identity.userAgent": (e) => e.userAgent,
  // Never the key's value: Tollgate does not have it after hashing, and would not log it.
  "identity.apiKey": (e) => e.keyId,
  "identity.apiKeyId": (e) => e.keyId,
  requestTime: (e) => clfTime(e.time),
  requestTimeEpoch: (e) => Date.parse(e.time),
  httpMethod: (e) => e.method,
  resourcePath: (e) => e.resourcePath,
  path: (e) => pathOnly(e.path),
  protocol: (e) => e.protocol ?? "HTTP/1.1",
  status: (e) => e.status,
  responseLength: (e) => e.bytesOut,
  responseLatency: (e) => Math.round(e.latencyMs),
  integrationLatency: (e) =>
    e.upstreamLatencyMs === undefined ? undefined : Math.round(e.upstreamLatencyMs),
  "integration.latency": (e) =>
    e.upstreamLatencyMs === undefined ? undefined : Math.round(e.upstreamLatencyMs),
  "integration.status": (e) => e.integrationStatus,
  integrationStatus: (e) => e.integrationStatus,
  stage: (e) => e.stage,
  apiId: (e) => e.apiId,
  domainName: (e) => e.host,
  "error.message": (e) => e.error,
  "error.responseType": responseType,
  isCanaryRequest: (e) => e.canary === true,
  "authorizer.principalId": (e) => e.principalId,
  xrayTraceId: (e) => e.traceId,
  // Tollgate's own.
  traceId: (e) => e.traceId,
  tenantId: (e) => e.tenantId,
  "identity.tenantId": (e) => e.tenantId,
  usagePlanId: (e) => e.usagePlanId,
  cacheStatus: (e) => e.cache,
  requestLength: (e) => e.bytesIn,
};

/** The variables this file renders (the same as `ACCESS_LOG_VARIABLES`, which UpdateStage checks). */
export const RENDERED_VARIABLES = Object.keys(VARIABLES);

const REFERENCE = /\$context\.([A-Za-z0-9_.]+)/g;
const known = (text: string) => {
  const name = knownLogVariable(text);
  return name && VARIABLES[name] ? name : undefined;
};

/** Escapes as inside a JSON string: `"`, `\` and control characters. */
function escaped(value: Value): string {
  if (value === undefined || value === "") return "-";
  if (typeof value !== "string") return String(value);
  // Most values need nothing: look before building a new string.
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x2028 || c === 0x2029)
      return JSON.stringify(value).slice(1, -1);
  }
  return value;
}

/**
 * Compiles a format; undefined for none (the JSON line). Unknown variables render as `-`.
 *
 * @example
 * compileLogFormat('{"id":"$context.requestId","status":$context.status}')!(entry)
 */
export function compileLogFormat(format: string | undefined): LogFormat | undefined {
  if (format === undefined || format.trim() === "") return undefined;
  const literals: string[] = [];
  const readers: Array<(e: AccessLogEntry) => Value> = [];
  let at = 0;
  for (const m of format.matchAll(REFERENCE)) {
    const name = known(m[1]!);
    const length = name ? "$context.".length + name.length : m[0].length;
    literals.push(format.slice(at, m.index));
    readers.push(name ? VARIABLES[name]! : () => undefined);
    at = m.index! + length;
  }
  literals.push(format.slice(at).replace(/[\r\n]+/g, " "));
  for (let i = 0; i < literals.length - 1; i++) literals[i] = literals[i]!.replace(/[\r\n]+/g, " ");
  return (entry) => {
    let line = literals[0]!;
    for (let i = 0; i < readers.length; i++) line += escaped(readers[i]!(entry)) + literals[i + 1]!;
    return line;
  };
}
