import type { Clock } from "../core/clock.js";
import type { Store } from "../store/index.js";
import { pruneUsage } from "./retention.js";
import type { UsageAlertService } from "./usage-alerts.js";

export interface MeteringJobOptions {
  store: Store;
  clock: Clock;
  alerts: UsageAlertService;
  /** Days of usage kept; see `usageRetentionDays`. */
  retentionDays: number;
  /** How often usage alerts are evaluated, ms (5 s). */
  alertIntervalMs?: number;
  /** How often old usage is pruned, ms (hourly; each pass deletes only whole days past retention). */
  pruneIntervalMs?: number;
  /** Where a failed pass is reported; the next pass runs anyway. */
  onError?: (job: "alerts" | "prune", error: unknown) => void;
}

/**
 * Metering's background work, off the request path: usage alert evaluation every few seconds
 * and pruning of usage older than the retention. A pass never overlaps the previous one of its
 * kind; `close` waits for a running pass.
 */
export class MeteringJobs {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(private readonly options: MeteringJobOptions) {}

  start(): void {
    const { alertIntervalMs = 5000, pruneIntervalMs = 3_600_000 } = this.options;
    this.every(alertIntervalMs, "alerts", () => this.options.alerts.evaluate());
    this.every(pruneIntervalMs, "prune", () => this.prune());
    void this.run("prune", () => this.prune());
  }

  /** One pruning pass now. */
  prune() {
    return pruneUsage(this.options.store, this.options.clock.now(), this.options.retentionDays);
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    await Promise.allSettled(this.running.values());
  }

  private every(ms: number, job: "alerts" | "prune", pass: () => Promise<unknown>): void {
    const timer = setInterval(() => void this.run(job, pass), ms);
    timer.unref();
    this.timers.push(timer);
  }

  private async run(job: "alerts" | "prune", pass: () => Promise<unknown>): Promise<void> {
    if (this.running.has(job)) return;
    const promise = pass().catch((error) => this.report(job, error));
    this.running.set(job, promise);
    try {
      await promise;
    } finally {
      this.running.delete(job);
    }
  }

  private report(job: "alerts" | "prune", error: unknown): void {
    if (this.options.onError) this.options.onError(job, error);
    else
      process.stderr.write(`tollgate: metering ${job} pass failed: ${(error as Error).message ?? error}\n`);
  }
}
