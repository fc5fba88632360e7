import { type CounterEngine, type Decision, type Denied, type TakeRequest, unavailable } from "./engine.js";

/**
 * What to answer while the shared engine is down: `fail-closed` refuses every request with
 * reason `unavailable` (the gateway answers 503); `fail-open` answers from the local engine,
 * exact per process but no longer shared.
 */
export type FailureMode = "fail-closed" | "fail-open";

export interface ResilientEngineOptions {
  /** While the primary is down, how often one request tries it again, ms. Default 1000. */
  probeIntervalMs?: number;
  /** `retryAfterMs` of an `unavailable` denial. Default 1000. */
  unavailableRetryAfterMs?: number;
  /** Told when the primary goes down (with the error) and when it is back, for logs and metrics. */
  onStateChange?: (up: boolean, error?: unknown) => void;
  /** Told of every failed primary take (a metric counts them). */
  onError?: (error: unknown) => void;
  /** Real time in ms for probe pacing (not the requests' `now`, which tests may hold still). */
  clock?: () => number;
}

/**
 * Wraps a shared engine (Redis) with a local one (in-process). A failed or timed-out primary
 * take (the primary's command timeout, e.g. RedisEngine's 50 ms, bounds the wait) is answered
 * per `mode`, and the primary is then left alone for `probeIntervalMs` so requests do not each
 * wait for a timeout; after that one request probes it, and the first success brings it back.
 *
 * In fail-open mode, requests admitted locally during an outage are not counted in Redis; usage
 * is still metered by the gateway. Quota writes (`setQuotaRemaining`, `seedQuota`) go to both.
 */
export class ResilientEngine implements CounterEngine {
  private up = true;
  private nextProbeAt = 0;
  private readonly probeIntervalMs: number;
  private readonly closedDecision: Denied;
  private readonly clock: () => number;

  constructor(
    private readonly primary: CounterEngine,
    private readonly fallback: CounterEngine,
    private readonly mode: FailureMode,
    private readonly options: ResilientEngineOptions = {},
  ) {
    this.probeIntervalMs = options.probeIntervalMs ?? 1000;
    this.closedDecision = Object.freeze(unavailable(options.unavailableRetryAfterMs ?? 1000));
    this.clock = options.clock ?? (() => performance.now());
  }

  /** Whether takes currently go to the primary. */
  get primaryUp(): boolean {
    return this.up;
  }

  take(request: TakeRequest): Decision | Promise<Decision> {
    if (!this.up) {
      const now = this.clock();
      if (now < this.nextProbeAt) return this.degraded(request);
      this.nextProbeAt = now + this.probeIntervalMs;
    }
    return this.fromPrimary(request);
  }

  quotaUsed(quotaId: string, start: number): Promise<number | undefined> {
    return this.primary.quotaUsed(quotaId, start);
  }

  async setQuotaRemaining(quotaId: string, start: number, limit: number, remaining: number): Promise<void> {
    await this.fallback.setQuotaRemaining(quotaId, start, limit, remaining);
    await this.primary.setQuotaRemaining(quotaId, start, limit, remaining);
  }

  async seedQuota(quotaId: string, start: number, used: number): Promise<void> {
    await this.fallback.seedQuota(quotaId, start, used);
    await this.primary.seedQuota(quotaId, start, used);
  }

  async close(): Promise<void> {
    await Promise.all([this.primary.close(), this.fallback.close()]);
  }

  private fromPrimary(request: TakeRequest): Promise<Decision> {
    let taken: Decision | Promise<Decision>;
    try {
      taken = this.primary.take(request);
    } catch (error) {
      taken = Promise.reject(error);
    }
    return Promise.resolve(taken).then(
      (decision) => {
        if (!this.up) {
          this.up = true;
          this.options.onStateChange?.(true);
        }
        return decision;
      },
      (error: unknown) => {
        this.options.onError?.(error);
        this.nextProbeAt = this.clock() + this.probeIntervalMs;
        if (this.up) {
          this.up = false;
          this.options.onStateChange?.(false, error);
        }
        return this.degraded(request);
      },
    );
  }

  private degraded(request: TakeRequest): Decision | Promise<Decision> {
    return this.mode === "fail-open" ? this.fallback.take(request) : this.closedDecision;
  }
}
