import {
  type BucketSpec,
  bucketStatus,
  type CounterEngine,
  type Decision,
  type DenyReason,
  decide,
  type LimitStatus,
  MAX_PERIOD_MS,
  msUntilTokens,
  NEVER_MS,
  QUOTA_GRACE_MS,
  type QuotaSpec,
  type TakeRequest,
  TOKEN_EPSILON,
} from "./engine.js";
import { type Expiring, ExpiringMap } from "./expiring-map.js";

/** Entries examined for expiry per take, in each map: enough to outpace one new key per take. */
const SWEEP_STEPS = 2;

/** Below this a bucket has no whole token; float refills may land a hair under 1. */
const ONE_TOKEN = 1 - TOKEN_EPSILON;

class BucketState implements Expiring {
  constructor(
    readonly key: string,
    /** The spec of the last take, for expiry. */
    public spec: BucketSpec,
    /** Tokens as of `updatedAt`, fractional. */
    public tokens: number,
    public updatedAt: number,
  ) {}

  /** A bucket full again can be forgotten: a bucket not held is a full one. */
  expired(now: number): boolean {
    const { rate, burst } = this.spec;
    const elapsed = now > this.updatedAt ? now - this.updatedAt : 0;
    return this.tokens + (elapsed * rate) / 1000 >= burst || (rate <= 0 && elapsed >= NEVER_MS);
  }
}

/** The count of one quota; only the newest period seen is kept per quota id. */
class QuotaCount implements Expiring {
  constructor(
    readonly key: string,
    public start: number,
    public used: number,
    /** The period end plus a grace, epoch ms. */
    public expiresAt: number,
  ) {}

  expired(now: number): boolean {
    return now >= this.expiresAt;
  }
}

/**
 * Counters in this process's memory, the default engine. `take` is synchronous: no await and no
 * allocation beyond the decision itself. Exact: buckets refill continuously and a quota of N
 * admits exactly N. Idle buckets (full again) and counts of ended periods are forgotten a few
 * per take, so memory stays bounded by the keys active recently.
 *
 * @example
 * const engine = new InProcessEngine();
 * const d = engine.take({ buckets: [{ id: "key1", rate: 10, burst: 20 }], now: Date.now() });
 * if (!d.admitted) reply429(d.retryAfterMs);
 */
export class InProcessEngine implements CounterEngine {
  private readonly buckets = new ExpiringMap<BucketState>();
  private readonly quotas = new ExpiringMap<QuotaCount>();
  /** The states of the current request's buckets, reused across takes. */
  private readonly found: BucketState[] = [];

  take(request: TakeRequest): Decision {
    const { buckets, quota, now } = request;
    let throttled = false;
    let throttleWait = 0;
    for (let i = 0; i < buckets.length; i++) {
      const spec = buckets[i]!;
      const state = this.refilled(spec, now);
      this.found[i] = state;
      if (state.tokens < ONE_TOKEN) {
        throttled = true;
        throttleWait = Math.max(throttleWait, msUntilTokens(state.tokens, 1, spec.rate, spec.burst));
      }
    }
    const count = quota ? this.current(quota) : undefined;
    let reason: DenyReason | undefined;
    let retryAfterMs = 0;
    if (quota && count && count.used >= quota.limit) {
      reason = "quota";
      retryAfterMs = Math.max(1, quota.end - now);
    } else if (throttled) {
      reason = "throttled";
      retryAfterMs = throttleWait;
    } else {
      this.takeTokens(buckets.length);
      if (count) count.used++;
    }
    const decision = decide(request, reason, retryAfterMs, count?.used ?? 0, this.tightest(buckets));
    this.buckets.sweep(now, SWEEP_STEPS);
    this.quotas.sweep(now, SWEEP_STEPS);
    return decision;
  }

  async quotaUsed(quotaId: string, start: number): Promise<number | undefined> {
    const count = this.quotas.get(quotaId);
    return count && count.start === start ? count.used : undefined;
  }

  async setQuotaRemaining(quotaId: string, start: number, limit: number, remaining: number): Promise<void> {
    this.setCount(quotaId, start, limit - remaining, false);
  }

  async seedQuota(quotaId: string, start: number, used: number): Promise<void> {
    this.setCount(quotaId, start, used, true);
  }

  async close(): Promise<void> {}

  /** Entries held now, for tests and metrics. */
  stats(): { buckets: number; quotas: number } {
    return { buckets: this.buckets.size, quotas: this.quotas.size };
  }

  /** The bucket's state at `now`; a bucket not held is full. A clock going back refills nothing. */
  private refilled(spec: BucketSpec, now: number): BucketState {
    let state = this.buckets.get(spec.id);
    if (state === undefined) {
      state = new BucketState(spec.id, spec, spec.burst, now);
      this.buckets.set(state);
      return state;
    }
    state.spec = spec;
    if (now > state.updatedAt) {
      state.tokens += ((now - state.updatedAt) * spec.rate) / 1000;
      state.updatedAt = now;
    }
    if (state.tokens > spec.burst) state.tokens = spec.burst;
    return state;
  }

  private takeTokens(n: number): void {
    for (let i = 0; i < n; i++) this.found[i]!.tokens -= 1;
  }

  /**
   * The count of the quota's period. A newer period starts from 0; a request naming an older
   * period than the one held (a clock stepping back) is counted against the held one, which can
   * only refuse more, never admit more than a limit.
   */
  private current(quota: QuotaSpec): QuotaCount {
    let count = this.quotas.get(quota.id);
    if (count === undefined) {
      count = new QuotaCount(quota.id, quota.start, 0, 0);
      this.quotas.set(count);
    } else if (count.start < quota.start) {
      count.start = quota.start;
      count.used = 0;
    }
    if (count.start === quota.start) count.expiresAt = quota.end + QUOTA_GRACE_MS;
    return count;
  }

  private setCount(quotaId: string, start: number, used: number, raiseOnly: boolean): void {
    const count = this.quotas.get(quotaId);
    if (count === undefined || count.start < start) {
      // The period's end is not known here; the next take sets the exact expiry.
      this.quotas.set(new QuotaCount(quotaId, start, used, start + MAX_PERIOD_MS + QUOTA_GRACE_MS));
    } else if (count.start === start) {
      count.used = raiseOnly ? Math.max(count.used, used) : used;
    }
    // A write for a period older than the one held concerns a period that is over: ignored.
  }

  private tightest(buckets: readonly BucketSpec[]): LimitStatus | undefined {
    let index = -1;
    for (let i = 0; i < buckets.length; i++) {
      if (index < 0 || this.found[i]!.tokens < this.found[index]!.tokens) index = i;
    }
    if (index < 0) return undefined;
    const spec = buckets[index]!;
    return bucketStatus(this.found[index]!.tokens, spec.rate, spec.burst);
  }
}
