/**
 * The `$context` variables a stage's access log format (`accessLogSettings.format`) may use:
 * API Gateway's common ones and Tollgate's (tenant, plan, trace, cache status). UpdateStage
 * refuses a format naming any other, or one without the request id, as AWS does; the gateway
 * renders them (`src/gateway/access-log-format.ts`).
 */
import { BadRequestError } from "../core/errors.js";

export const ACCESS_LOG_VARIABLES = [
  "requestId",
  "extendedRequestId",
  "identity.sourceIp",
  "identity.userAgent",
  "identity.apiKey",
  "identity.apiKeyId",
  "requestTime",
  "requestTimeEpoch",
  "httpMethod",
  "resourcePath",
  "path",
  "protocol",
  "status",
  "responseLength",
  "responseLatency",
  "integrationLatency",
  "integration.latency",
  "integration.status",
  "integrationStatus",
  "stage",
  "apiId",
  "domainName",
  "error.message",
  "error.responseType",
  "isCanaryRequest",
  "authorizer.principalId",
  "xrayTraceId",
  "traceId",
  "tenantId",
  "identity.tenantId",
  "usagePlanId",
  "cacheStatus",
  "requestLength",
] as const;

const KNOWN = new Set<string>(ACCESS_LOG_VARIABLES);
const REFERENCE = /\$context\.([A-Za-z0-9_.]+)/g;

/** The longest known name `text` starts with (`$context.status.` ends at `status`). */
export function knownLogVariable(text: string): string | undefined {
  let name = text;
  for (;;) {
    if (KNOWN.has(name)) return name;
    const dot = name.lastIndexOf(".");
    if (dot === -1) return undefined;
    name = name.slice(0, dot);
  }
}

/** Checks a format: known variables only, the request id among them, at most 3,000 characters. */
export function checkAccessLogFormat(format: string): string {
  if (format.length > 3000) throw new BadRequestError("Invalid access log format: at most 3,000 characters");
  const unknown = [...format.matchAll(REFERENCE)]
    .filter((m) => !knownLogVariable(m[1]!))
    .map((m) => `$context.${m[1]}`);
  if (unknown.length) {
    throw new BadRequestError(
      `Invalid access log format: unknown variables ${[...new Set(unknown)].join(", ")} (see docs/gateway.md#access-log)`,
    );
  }
  if (!/\$context\.(requestId|extendedRequestId)(?![A-Za-z0-9_])/.test(format))
    throw new BadRequestError(
      "Invalid access log format: it must include $context.requestId or $context.extendedRequestId",
    );
  return format;
}
