import { Counter, Histogram, type Registry } from "prom-client";
import { BoundedLabel } from "../core/metrics.js";
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
 * A request costs one Map lookup per metric: label children are cached by their label string, so
 * prom-client never hashes label objects on the request path.
 */
export class GatewayMetrics {
  private readonly requests: Counter<(typeof REQUEST_LABELS)[number]>;
  private readonly duration: Histogram<(typeof STAGE_LABELS)[number]>;
  private readonly upstreamDuration: Histogram<(typeof STAGE_LABELS)[number]>;
  private readonly rejected: Counter<"api" | "stage" | "reason">;
  private readonly cache: Counter<"api" | "stage" | "result">;
  private readonly engineErrors: Counter;
  private readonly tenants: BoundedLabel;
  private readonly plans: BoundedLabel;
  private readonly counters = new Map<string, { inc(): void }>();
  private readonly histograms = new Map<string, { observe(v: number): void }>();

  constructor(registry: Registry, options: { maxTenants?: number; maxPlans?: number } = {}) {
    const registers = [registry];
    this.tenants = new BoundedLabel(options.maxTenants ?? 100);
    this.plans = new BoundedLabel(options.maxPlans ?? 100);
    this.requests = new Counter({
      name: "tollgate_gateway_requests_total",
      help: "Requests answered by the gateway, by API, stage, resource, method, status class, tenant, plan and release",
      labelNames: REQUEST_LABELS,
      registers,
    });
    this.duration = new Histogram({
      name: "tollgate_gateway_request_duration_seconds",
      help: "Time from the request's arrival to the end of its answer",
      labelNames: STAGE_LABELS,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: "tollgate_gateway_upstream_duration_seconds",
      help: "Time from sending a request to the upstream to its response head",
      labelNames: STAGE_LABELS,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.rejected = new Counter({
      name: "tollgate_gateway_rejected_total",
      help: "Requests the gateway answered itself with an error, by reason (throttled, quota, forbidden, unauthorized, not_found, invalid, bad_gateway, timeout, unavailable, other)",
      labelNames: ["api", "stage", "reason"],
      registers,
    });
    this.cache = new Counter({
      name: "tollgate_gateway_cache_requests_total",
      help: "Response cache lookups, by result (hit, miss)",
      labelNames: ["api", "stage", "result"],
      registers,
    });
    this.engineErrors = new Counter({
      name: "tollgate_counter_engine_errors_total",
      help: "Counter engine calls that failed (Redis unreachable or timed out)",
      registers,
    });
  }

  /** Counts one answered request; `entry` is its access log line. */
  observe(entry: AccessLogEntry): void {
    const api = entry.apiId ?? "";
    const stage = entry.stage ?? "";
    const release = entry.canary ? "canary" : "base";
    const cls = `${Math.floor(entry.status / 100)}xx`;
    const tenant = this.tenants.value(entry.tenantId);
    const plan = this.plans.value(entry.usagePlanId);
    const resource = entry.resourcePath ?? "";
    const method = entry.method;
    this.counter(
      this.requests,
      `r|${api}|${stage}|${resource}|${method}|${cls}|${tenant}|${plan}|${release}`,
      [api, stage, resource, method, cls, tenant, plan, release],
    ).inc();
    const stageKey = `${api}|${stage}|${release}`;
    this.histogram(this.duration, `d|${stageKey}`, [api, stage, release]).observe(entry.latencyMs / 1000);
    if (entry.upstreamLatencyMs !== undefined) {
      this.histogram(this.upstreamDuration, `u|${stageKey}`, [api, stage, release]).observe(
        entry.upstreamLatencyMs / 1000,
      );
    }
    if (entry.errorType) {
      const reason = rejectionReason(entry.status, entry.errorType);
      this.counter(this.rejected, `x|${api}|${stage}|${reason}`, [api, stage, reason]).inc();
    }
    if (entry.cache)
      this.counter(this.cache, `c|${api}|${stage}|${entry.cache}`, [api, stage, entry.cache]).inc();
  }

  engineError(): void {
    this.engineErrors.inc();
  }

  private counter(metric: Counter<string>, key: string, values: string[]): { inc(): void } {
    let child = this.counters.get(key);
    if (!child) {
      child = metric.labels(...values);
      this.counters.set(key, child);
    }
    return child;
  }

  private histogram(metric: Histogram<string>, key: string, values: string[]): { observe(v: number): void } {
    let child = this.histograms.get(key);
    if (!child) {
      child = metric.labels(...values);
      this.histograms.set(key, child);
    }
    return child;
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
