import { Counter, type Registry } from "prom-client";
import { BoundedLabel, SeriesCounter, SeriesHistogram } from "../core/metrics.js";
import type { AccessLogEntry } from "./access-log.js";

/** Latency buckets, seconds: from 0.5 ms (a cache hit) to 30 s (past the 29 s integration timeout). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const REQUEST_LABELS = [
  "api",
  "stage",
  "resource",
  "method",
  "status_class",
  "tenant",
  "plan",
  "release",
] as const;
const STAGE_LABELS = ["api", "stage", "release"] as const;

/**
 * The gateway's Prometheus metrics. Label values are bounded: `api`, `stage`, `resource` and
 * `method` by the deployed APIs, `status_class` to 1xx..5xx, `tenant` and `plan` to the first
 * `maxTenants` / `maxPlans` values seen (then `_other`), `release` to base|canary.
 *
 * A request costs one Map lookup per metric and no allocation beyond two key strings: series
 * are plain numbers (SeriesCounter, SeriesHistogram) that prom-client's registry formats when
 * scraped.
 */
export class GatewayMetrics {
  private readonly requests: SeriesCounter;
  private readonly duration: SeriesHistogram;
  private readonly upstreamDuration: SeriesHistogram;
  private readonly rejected: SeriesCounter;
  private readonly cache: SeriesCounter;
  private readonly engineErrors: Counter;
  private readonly tenants: BoundedLabel;
  private readonly plans: BoundedLabel;

  constructor(registry: Registry, options: { maxTenants?: number; maxPlans?: number } = {}) {
    this.tenants = new BoundedLabel(options.maxTenants ?? 100);
    this.plans = new BoundedLabel(options.maxPlans ?? 100);
    this.requests = new SeriesCounter(
      "tollgate_gateway_requests_total",
      "Requests answered by the gateway, by API, stage, resource, method, status class, tenant, plan and release",
      REQUEST_LABELS,
      registry,
    );
    this.duration = new SeriesHistogram(
      "tollgate_gateway_request_duration_seconds",
      "Time from the request's arrival to the end of its answer",
      STAGE_LABELS,
      LATENCY_BUCKETS,
      registry,
    );
    this.upstreamDuration = new SeriesHistogram(
      "tollgate_gateway_upstream_duration_seconds",
      "Time from sending a request to the upstream to its response head",
      STAGE_LABELS,
      LATENCY_BUCKETS,
      registry,
    );
    this.rejected = new SeriesCounter(
      "tollgate_gateway_rejected_total",
      "Requests the gateway answered itself with an error, by reason (throttled, quota, forbidden, unauthorized, not_found, invalid, bad_gateway, timeout, unavailable, too_large, other)",
      ["api", "stage", "reason"],
      registry,
    );
    this.cache = new SeriesCounter(
      "tollgate_gateway_cache_requests_total",
      "Response cache lookups, by result (hit, miss)",
      ["api", "stage", "result"],
      registry,
    );
    this.engineErrors = new Counter({
      name: "tollgate_counter_engine_errors_total",
      help: "Counter engine calls that failed (Redis unreachable or timed out)",
      registers: [registry],
    });
  }

  /** Counts one answered request; `entry` is its access log line. */
  observe(entry: AccessLogEntry): void {
    const api = entry.apiId ?? "";
    const stage = entry.stage ?? "";
    const release = entry.canary ? "canary" : "base";
    const status = entry.status;
    const cls =
      status < 200 ? "1xx" : status < 300 ? "2xx" : status < 400 ? "3xx" : status < 500 ? "4xx" : "5xx";
    const tenant = this.tenants.value(entry.tenantId);
    const plan = this.plans.value(entry.usagePlanId);
    const resource = entry.resourcePath ?? "";
    const method = entry.method;
    const stageKey = `${api}\u0000${stage}\u0000${release}`;
    const requestKey = `${stageKey}\u0000${resource}\u0000${method}\u0000${cls}\u0000${tenant}\u0000${plan}`;
    if (!this.requests.inc(requestKey))
      this.requests.add(requestKey, [api, stage, resource, method, cls, tenant, plan, release]);
    const seconds = entry.latencyMs / 1000;
    if (!this.duration.observe(stageKey, seconds))
      this.duration.add(stageKey, [api, stage, release], seconds);
    if (entry.upstreamLatencyMs !== undefined) {
      const upstream = entry.upstreamLatencyMs / 1000;
      if (!this.upstreamDuration.observe(stageKey, upstream))
        this.upstreamDuration.add(stageKey, [api, stage, release], upstream);
    }
    if (entry.errorType) {
      const reason = rejectionReason(entry.status, entry.errorType);
      this.rejected.add(`${api}\u0000${stage}\u0000${reason}`, [api, stage, reason]);
    }
    if (entry.cache) {
      const key = `${api}\u0000${stage}\u0000${entry.cache}`;
      if (!this.cache.inc(key)) this.cache.add(key, [api, stage, entry.cache]);
    }
  }

  engineError(): void {
    this.engineErrors.inc();
  }
}

/** The reason label of a gateway error answer, from its status and AWS error type. */
function rejectionReason(status: number, errorType: string): string {
  switch (errorType) {
    case "TooManyRequestsException":
      return "throttled";
    case "LimitExceededException":
      return "quota";
    case "ForbiddenException":
    case "AccessDeniedException":
      return "forbidden";
    case "UnauthorizedException":
      return "unauthorized";
    case "NotFoundException":
      return "not_found";
    case "BadRequestException":
      return "invalid";
    case "BadGatewayException":
      return "bad_gateway";
    case "IntegrationTimeout":
      return "timeout";
    case "ServiceUnavailableException":
      return "unavailable";
  }
  if (status === 413) return "too_large";
  return "other";
}
