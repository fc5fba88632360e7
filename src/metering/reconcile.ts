import { setTimeout as sleep } from "node:timers/promises";
import type { CounterEngine } from "../counters/index.js";
import { quotaPeriod } from "../counters/index.js";
import type { Tx } from "../store/index.js";
import { DAY_MS, startOfDay } from "./dates.js";
import { dailyLedger, effectiveUsage, type PeriodUsage } from "./effective-usage.js";
import { utcDay } from "./ledger.js";
import { type MeteredPlan, planKeyIds, quotaCounterId } from "./plan-rows.js";

/** One key's figures and whether they agree. */
export interface KeyReconciliation {
  keyId: string;
  /** Admitted requests in the window, summed straight from the ledger. */
  ledger: number;
  /** The same, summed from get-usage's daily `used` values. */
  reported: number;
  /** Current quota period only: adjustments (update-usage, top-ups) made for it. */
  adjustments?: number;
  /** Current quota period only: ledger + adjustments, what the counter must hold. */
  effective?: number;
  /** Current quota period only: the live quota counter (`engine.quotaUsed`). */
  counter?: number;
  /** Current quota period only: get-usage's remaining for today. */
  remaining?: number;
  agreed: boolean;
  /** What disagrees, in words; empty when `agreed`. */
  problems: string[];
}

/** A plan's reconciliation for a window of UTC days. */
export interface Reconciliation {
  usagePlanId: string;
  startDate: string;
  endDate: string;
  /** The quota period whose live counters were compared, when the window holds today. */
  quotaPeriod?: { startDate: string; endDate: string; limit: number };
  agreed: boolean;
  item: KeyReconciliation[];
}

/** get-usage's values (`[used, remaining]` per day and key) from `start` to `end`, epoch ms. */
export type UsageReader = (start: number, end: number) => Promise<Record<string, Array<[number, number]>>>;

/** How often counters are read again when they trail the ledger (a request between take and commit). */
const COUNTER_ATTEMPTS = 3;
const COUNTER_RETRY_MS = 100;

/**
 * Proves that the ledger, get-usage and the live quota counters tell the same story for the
 * window `[start, end)`: per key, get-usage's daily used values sum to the ledger's total; and
 * when the window holds today, the counter equals ledger + adjustments for the current quota
 * period and get-usage's remaining for today equals the limit minus that.
 */
export async function reconcile(
  db: Tx,
  engine: CounterEngine,
  plan: MeteredPlan,
  window: { start: number; end: number },
  now: number,
  readUsage: UsageReader,
): Promise<Reconciliation> {
  const [from, to] = [utcDay(window.start), utcDay(window.end - DAY_MS)];
  const ledger = await dailyLedger(db, plan.id, from, to);
  const keys = [...new Set([...(await planKeyIds(db, plan.id)), ...ledger.keys()])].sort();
  const reported = await readUsage(window.start, window.end - DAY_MS);
  const rows = keys.map((keyId) => {
    let total = 0;
    for (const n of ledger.get(keyId)?.values() ?? []) total += n;
    const sum = (reported[keyId] ?? []).reduce((s, [used]) => s + used, 0);
    const problems = sum === total ? [] : [`get-usage reports ${sum} requests, the ledger holds ${total}`];
    return { keyId, ledger: total, reported: sum, agreed: problems.length === 0, problems };
  });

  const today = startOfDay(now);
  let quota: Reconciliation["quotaPeriod"];
  if (plan.quota && today >= window.start && today < window.end) {
    const period = quotaPeriod(now, plan.quota.period, plan.quota.offset);
    quota = {
      startDate: utcDay(period.start),
      endDate: utcDay(period.end - DAY_MS),
      limit: plan.quota.limit,
    };
    const remaining = await readUsage(period.start, today);
    await compareCounters(db, engine, plan, period, rows, remaining);
  }
  return {
    usagePlanId: plan.id,
    startDate: from,
    endDate: to,
    ...(quota ? { quotaPeriod: quota } : {}),
    agreed: rows.every((r) => r.agreed),
    item: rows,
  };
}

/**
 * Adds each key's current-period figures and checks them. Counters are read again briefly when
 * they differ from the ledger: the gateway counts a request just before its admission commits.
 */
async function compareCounters(
  db: Tx,
  engine: CounterEngine,
  plan: MeteredPlan,
  period: { start: number; end: number },
  rows: KeyReconciliation[],
  reported: Record<string, Array<[number, number]>>,
): Promise<void> {
  const limit = plan.quota!.limit;
  let usage: Map<string, PeriodUsage>;
  let counters: Array<number | undefined>;
  for (let attempt = 1; ; attempt++) {
    usage = await effectiveUsage(db, plan.id, period);
    counters = await Promise.all(
      rows.map((r) => engine.quotaUsed(quotaCounterId(r.keyId, plan.id), period.start)),
    );
    const settled = rows.every((r, i) => (counters[i] ?? 0) === effectiveOf(usage, r.keyId).effective);
    if (settled || attempt === COUNTER_ATTEMPTS) break;
    await sleep(COUNTER_RETRY_MS);
  }
  rows.forEach((row, i) => {
    const { adjustments, effective } = effectiveOf(usage, row.keyId);
    // A counter the engine does not hold has counted nothing yet.
    const counter = counters[i] ?? 0;
    const remaining = reported[row.keyId]?.at(-1)?.[1] ?? limit;
    Object.assign(row, { adjustments, effective, counter, remaining });
    if (counter !== effective) {
      row.problems.push(`the quota counter holds ${counter}, the ledger plus adjustments give ${effective}`);
    }
    if (remaining !== Math.max(0, limit - effective)) {
      row.problems.push(
        `get-usage reports ${remaining} remaining, the limit minus effective use gives ${limit - effective}`,
      );
    }
    row.agreed = row.problems.length === 0;
  });
}

function effectiveOf(usage: Map<string, PeriodUsage>, keyId: string): PeriodUsage {
  return usage.get(keyId) ?? { ledger: 0, adjustments: 0, effective: 0 };
}
