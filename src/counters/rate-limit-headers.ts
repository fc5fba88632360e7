import type { Decision, TakeRequest } from "./engine.js";

/** Policy names in the RateLimit fields: fixed, so no internal bucket or quota id leaks. */
export const THROTTLE_POLICY = "throttle";
export const QUOTA_POLICY = "quota";

/** Header field values for one response; a field left undefined is not sent. */
export interface RateLimitHeaderValues {
  /** `Retry-After` in delay-seconds (at least 1); on denials only. */
  retryAfter?: string;
  /** `RateLimit`: the service limits now, one item per policy. */
  rateLimit?: string;
  /** `RateLimit-Policy`: the policies behind them. */
  rateLimitPolicy?: string;
}

/**
 * The `Retry-After`, `RateLimit` and `RateLimit-Policy` values for a decision, following
 * draft-ietf-httpapi-ratelimit-headers-11 (May 2026): both fields are Structured Field Lists of
 * String items with parameters, `q` (quota units) and `w` (window, seconds) in the policy, `r`
 * (available units) and `t` (effective window, seconds) in the limit.
 *
 * Two policies are described: `"throttle"`, the decision's tightest bucket (q = burst, w = the
 * seconds an empty bucket takes to fill; r = whole tokens left, t = seconds until the next token),
 * and `"quota"`, the request's quota (q = limit, w = period length; r = requests left,
 * t = seconds to the period end). Values are rounded so that a client never reads more than
 * it has. An `unavailable` denial carries only `Retry-After`.
 *
 * @example
 * rateLimitHeaders(decision, request)
 * // { retryAfter: "1", rateLimitPolicy: '"throttle";q=20;w=2, "quota";q=1000;w=86400',
 * //   rateLimit: '"throttle";r=0;t=1, "quota";r=940;t=51200' }
 */
export function rateLimitHeaders(decision: Decision, request: TakeRequest): RateLimitHeaderValues {
  const retryAfter = decision.admitted ? undefined : String(Math.max(1, seconds(decision.retryAfterMs)));
  if (!decision.admitted && decision.reason === "unavailable") return { retryAfter };
  // Built by concatenation: this runs on every request.
  let policy = "";
  let limit = "";
  const bucket = decision.tightest;
  if (bucket) {
    policy = `"${THROTTLE_POLICY}";q=${Math.floor(bucket.limit)};w=${Math.max(1, seconds(bucket.windowMs))}`;
    limit = `"${THROTTLE_POLICY}";r=${bucket.remaining};t=${seconds(bucket.resetMs)}`;
  }
  const quota = request.quota;
  if (quota && decision.quotaRemaining !== undefined) {
    const sep = policy ? ", " : "";
    policy += `${sep}"${QUOTA_POLICY}";q=${quota.limit};w=${seconds(quota.end - quota.start)}`;
    limit += `${sep}"${QUOTA_POLICY}";r=${decision.quotaRemaining};t=${seconds(quota.end - request.now)}`;
  }
  if (!policy) return { retryAfter };
  return { retryAfter, rateLimit: limit, rateLimitPolicy: policy };
}

/** Whole seconds, rounded up: a client told to wait never comes back too early. */
function seconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}
