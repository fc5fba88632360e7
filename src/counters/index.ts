/**
 * Counters: token buckets (throttling) and calendar quotas, behind one engine interface.
 * `InProcessEngine` is the default (one process, exact, synchronous); `RedisEngine` shares exact
 * limits among N gateway processes with one atomic Lua script per request; `ResilientEngine`
 * decides what happens while Redis is down. `quotaPeriod` computes API Gateway's calendar
 * periods and `rateLimitHeaders` turns a decision into Retry-After and IETF RateLimit fields.
 */

export {
  type Admitted,
  type BucketSpec,
  type CounterEngine,
  type Decision,
  type Denied,
  type DenyReason,
  type LimitStatus,
  QUOTA_GRACE_MS,
  type QuotaSpec,
  type TakeRequest,
} from "./engine.js";
export { InProcessEngine } from "./in-process-engine.js";
export { MAX_QUOTA_OFFSET, type QuotaPeriodUnit, quotaPeriod } from "./quota-period.js";
export {
  QUOTA_POLICY,
  type RateLimitHeaderValues,
  rateLimitHeaders,
  THROTTLE_POLICY,
} from "./rate-limit-headers.js";
export { RedisEngine, type RedisEngineOptions } from "./redis-engine.js";
export { type FailureMode, ResilientEngine, type ResilientEngineOptions } from "./resilient-engine.js";
