import { sql } from "kysely";
import type { Store } from "../store/index.js";

/** One admitted request, as the ledger counts it. */
export interface Admission {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  keyId: string;
  usagePlanId: string;
  tenantId: string;
  restApiId: string;
  stage: string;
  resourcePath: string;
  httpMethod: string;
}

/** What is known of a request after its answer. */
export interface Outcome {
  day: string;
  keyId: string;
  restApiId: string;
  stage: string;
  resourcePath: string;
  httpMethod: string;
  status: number;
  latencyMs: number;
  bytesIn: number;
  bytesOut: number;
}

type CountRow = {
  day: string;
  key_id: string;
  usage_plan_id: string;
  tenant_id: string;
  rest_api_id: string;
  stage: string;
  resource_path: string;
  http_method: string;
  requests: number;
};

/**
 * The usage ledger's writer. `admit` resolves once the admission is committed, so the gateway
 * forwards only requests the ledger holds: after a SIGKILL, recorded usage equals what the
 * upstream received. Admissions that arrive while a commit runs join the next one (group
 * commit), so one transaction carries many requests under load and an idle gateway commits at once.
 */
export class UsageLedger {
  private pending = new Map<string, CountRow>();
  private waiters: Array<{ resolve(): void; reject(error: unknown): void }> = [];
  private flushing = false;
  private stats = new Map<string, Outcome & { requests: number }>();
  private statsTimer: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    statsIntervalMs = 1000,
  ) {
    this.statsTimer = setInterval(() => void this.flushStats().catch(() => {}), statsIntervalMs);
    this.statsTimer.unref();
  }

  admit(a: Admission): Promise<void> {
    const id = `${a.day}\u0000${a.keyId}\u0000${a.usagePlanId}\u0000${a.restApiId}\u0000${a.stage}\u0000${a.resourcePath}\u0000${a.httpMethod}`;
    const row = this.pending.get(id);
    if (row) row.requests++;
    else {
      this.pending.set(id, {
        day: a.day,
        key_id: a.keyId,
        usage_plan_id: a.usagePlanId,
        tenant_id: a.tenantId,
        rest_api_id: a.restApiId,
        stage: a.stage,
        resource_path: a.resourcePath,
        http_method: a.httpMethod,
        requests: 1,
      });
    }
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.flushing) void this.flushCounts();
    return done;
  }

  /** Records an answer's status, latency and bytes; flushed in the background. */
  outcome(o: Outcome): void {
    const id = `${o.day}\u0000${o.keyId}\u0000${o.restApiId}\u0000${o.stage}\u0000${o.resourcePath}\u0000${o.httpMethod}\u0000${o.status}`;
    const seen = this.stats.get(id);
    if (seen) {
      seen.requests++;
      seen.latencyMs += o.latencyMs;
      seen.bytesIn += o.bytesIn;
      seen.bytesOut += o.bytesOut;
    } else this.stats.set(id, { ...o, requests: 1 });
  }

  private async flushCounts(): Promise<void> {
    this.flushing = true;
    while (this.pending.size > 0) {
      const rows = [...this.pending.values()];
      const waiters = this.waiters;
      this.pending = new Map();
      this.waiters = [];
      try {
        await this.store.db
          .insertInto("usage_counts")
          .values(rows)
          .onConflict((oc) =>
            oc
              .columns([
                "day",
                "key_id",
                "usage_plan_id",
                "rest_api_id",
                "stage",
                "resource_path",
                "http_method",
              ])
              .doUpdateSet({ requests: sql`usage_counts.requests + excluded.requests` }),
          )
          .execute();
        for (const w of waiters) w.resolve();
      } catch (error) {
        for (const w of waiters) w.reject(error);
      }
    }
    this.flushing = false;
  }

  async flushStats(): Promise<void> {
    if (this.stats.size === 0) return;
    const rows = [...this.stats.values()].map((s) => ({
      day: s.day,
      key_id: s.keyId,
      rest_api_id: s.restApiId,
      stage: s.stage,
      resource_path: s.resourcePath,
      http_method: s.httpMethod,
      status: s.status,
      requests: s.requests,
      latency_ms_sum: Math.round(s.latencyMs),
      bytes_in: s.bytesIn,
      bytes_out: s.bytesOut,
    }));
    this.stats = new Map();
    await this.store.db
      .insertInto("usage_stats")
      .values(rows)
      .onConflict((oc) =>
        oc
          .columns(["day", "key_id", "rest_api_id", "stage", "resource_path", "http_method", "status"])
          .doUpdateSet({
            requests: sql`usage_stats.requests + excluded.requests`,
            latency_ms_sum: sql`usage_stats.latency_ms_sum + excluded.latency_ms_sum`,
            bytes_in: sql`usage_stats.bytes_in + excluded.bytes_in`,
            bytes_out: sql`usage_stats.bytes_out + excluded.bytes_out`,
          }),
      )
      .execute();
  }

  /** Waits for pending admissions and writes pending stats (graceful shutdown). */
  async close(): Promise<void> {
    clearInterval(this.statsTimer);
    while (this.flushing || this.pending.size) await new Promise((r) => setTimeout(r, 1));
    await this.flushStats();
  }
}

/** The UTC day of an epoch-ms instant, `YYYY-MM-DD`. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Requests each key made on a plan from `startDay` on (inclusive), from the ledger: what an
 * in-process counter engine needs to resume quotas after a restart.
 */
export async function usageSince(
  store: Store,
  usagePlanId: string,
  startDay: string,
): Promise<Map<string, number>> {
  const rows = await store.db
    .selectFrom("usage_counts")
    .select(["key_id", (eb) => eb.fn.sum<number>("requests").as("requests")])
    .where("usage_plan_id", "=", usagePlanId)
    .where("day", ">=", startDay)
    .groupBy("key_id")
    .execute();
  return new Map(rows.map((r) => [r.key_id, Number(r.requests)]));
}
