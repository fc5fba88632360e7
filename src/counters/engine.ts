/**
 * The counter engine port: token buckets and calendar quotas, taken together in one atomic step.
 *
 * Units everywhere: rates in requests (tokens) per second, bursts in tokens, instants in epoch
 * milliseconds, durations in milliseconds.
 */

/**
 * A token bucket, refilled continuously (fractional tokens) at `rate` per second up to `burst`.
 * A bucket seen for the first time is full. Invariant: tokens never exceed `burst` nor go below 0.
 */
export interface BucketSpec {
  /** Identity: requests naming the same id share its tokens (e.g. `key/<keyId>/plan/<planId>`). */
  id: string;
  /** Refill rate in tokens per second; 0 never refills. */
  rate: number;
  /** Capacity in tokens: the most requests admitted at one instant. Below 1, nothing is admitted. */
  burst: number;
}

/** A quota: counts admitted requests in the calendar period [start, end), at most `limit`. */
export interface QuotaSpec {
  /** Identity of the counter (e.g. `<planId>/<keyId>`); the period start completes it. */
  id: string;
  /** The most requests admitted in the period. */
  limit: number;
  /** Period start, epoch ms (inclusive); see `quotaPeriod`. */
  start: number;
  /** Period end, epoch ms (exclusive). */
  end: number;
}

/** One request's limits, checked and taken together at `now` (epoch ms). */
export interface TakeRequest {
  /**
   * The buckets, most specific first. A caller may pass the same list again for later takes (the
   * gateway keeps one per key and route), but must not change it once passed: an engine may keep
   * what it derives from it (the Redis engine keeps its encoding).
   */
  buckets: readonly BucketSpec[];
  quota?: QuotaSpec;
  /** The caller's clock, epoch ms. Gateways sharing Redis must pass a synchronized clock (NTP). */
  now: number;
}

/** Where one limit stands after a decision; enough for the IETF RateLimit header fields. */
export interface LimitStatus {
  /** The bucket's burst, in tokens. */
  limit: number;
  /** Whole tokens left. */
  remaining: number;
  /** Milliseconds until `remaining` grows by one (0 when the bucket is full). */
  resetMs: number;
  /** Milliseconds for an empty bucket to fill: burst / rate. */
  windowMs: number;
}

/** Fields every decision may carry. */
interface DecisionStatus {
  /** Requests left in the quota period (after this request when admitted); with a quota only. */
  quotaRemaining?: number;
  /** When the quota period ends and the count starts again, epoch ms; with a quota only. */
  quotaResetAt?: number;
  /** The bucket with the fewest whole tokens left; with buckets only. */
  tightest?: LimitStatus;
}

/** The request may pass: one token was taken from every bucket and one request counted. */
export interface Admitted extends DecisionStatus {
  admitted: true;
}

/**
 * Why a request was refused:
 * - `throttled`: some bucket has no whole token (gateway: 429 Too Many Requests);
 * - `quota`: the quota period is spent (429 Limit Exceeded); it wins over `throttled`, since
 *   waiting for a token would not help;
 * - `unavailable`: the shared counter store could not answer and the engine fails closed (503).
 */
export type DenyReason = "throttled" | "quota" | "unavailable";

/** The request must not pass; nothing was taken or counted. */
export interface Denied extends DecisionStatus {
  admitted: false;
  reason: DenyReason;
  /**
   * Milliseconds until a retry can succeed, as far as these limits know: for `throttled` the
   * longest wait among buckets without a whole token, for `quota` the time to the period end.
   */
  retryAfterMs: number;
}

/** A decision is a value, never an exception: exceptions are for faults. */
export type Decision = Admitted | Denied;

/** A store of token buckets and quota counters. Every adapter passes one contract suite. */
export interface CounterEngine {
  /**
   * All or nothing: admits only if every bucket has a whole token and the quota has room; then
   * takes one token from each bucket and counts one request against the quota. Otherwise it
   * takes and counts nothing.
   */
  take(request: TakeRequest): Decision | Promise<Decision>;
  /**
   * Requests counted in the quota period starting at `start`, undefined when the engine holds
   * no count for it. Negative after a quota extension beyond the limit (see setQuotaRemaining).
   */
  quotaUsed(quotaId: string, start: number): Promise<number | undefined>;
  /**
   * AWS `update-usage`: sets used := limit - remaining for the period starting at `start`. A
   * remaining above the limit makes the count negative, so the period admits that many more.
   */
  setQuotaRemaining(quotaId: string, start: number, limit: number, remaining: number): Promise<void>;
  /** Restores a count persisted elsewhere (after a restart): raises the count to `used`, never lowers it. */
  seedQuota(quotaId: string, start: number, used: number): Promise<void>;
  close(): Promise<void>;
}

/** Token amounts closer than this to a whole token count as whole (float refills drift). */
export const TOKEN_EPSILON = 1e-9;
/**
 * Cap on waits that would otherwise be endless (a bucket with burst < 1 or rate 0), and so the
 * longest such a bucket is remembered before it is forgotten (full again).
 */
export const NEVER_MS = 86_400_000;
/** How long a quota count outlives its period, so callers with a slightly late clock still find it. */
export const QUOTA_GRACE_MS = 3_600_000;
/** The longest calendar period (a 31-day month): bounds a count whose period end is not known. */
export const MAX_PERIOD_MS = 31 * 86_400_000;

/**
 * Milliseconds for a bucket holding `tokens` to reach `target` tokens at `rate` per second;
 * NEVER_MS when it never will (no refill, or a target above the burst).
 */
export function msUntilTokens(tokens: number, target: number, rate: number, burst: number): number {
  if (rate <= 0 || target > burst + TOKEN_EPSILON) return NEVER_MS;
  const ms = ((target - tokens) * 1000) / rate;
  // A float a hair above a whole ms (1.4 tokens is 1.3999…) must not cost a whole extra ms.
  const whole = Math.round(ms);
  return Math.min(NEVER_MS, Math.abs(ms - whole) * rate <= TOKEN_EPSILON * 1000 ? whole : Math.ceil(ms));
}

/** The status of a bucket holding `tokens` (a fraction allowed). */
export function bucketStatus(tokens: number, rate: number, burst: number): LimitStatus {
  const remaining = Math.max(0, Math.floor(tokens + TOKEN_EPSILON));
  return {
    limit: burst,
    remaining,
    resetMs: tokens >= burst - TOKEN_EPSILON ? 0 : msUntilTokens(tokens, remaining + 1, rate, burst),
    windowMs: msUntilTokens(0, burst, rate, burst),
  };
}

/**
 * Builds a decision from what an engine found. `quotaUsed` is the count after the request
 * (admitted) or as found (denied); `tightest` is undefined when the request had no buckets.
 */
export function decide(
  request: TakeRequest,
  reason: DenyReason | undefined,
  retryAfterMs: number,
  quotaUsed: number,
  tightest: LimitStatus | undefined,
): Decision {
  const quota = request.quota;
  const quotaRemaining = quota ? Math.max(0, quota.limit - quotaUsed) : undefined;
  const quotaResetAt = quota?.end;
  if (reason === undefined) return { admitted: true, quotaRemaining, quotaResetAt, tightest };
  return { admitted: false, reason, retryAfterMs, quotaRemaining, quotaResetAt, tightest };
}

/** The denial of an engine that cannot reach its store and fails closed. */
export function unavailable(retryAfterMs: number): Denied {
  return { admitted: false, reason: "unavailable", retryAfterMs };
}
