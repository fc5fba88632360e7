import { quotaPeriod } from "../counters/index.js";
import type { Tx } from "../store/index.js";
import { DAY_MS } from "./dates.js";
import { utcDay } from "./ledger.js";
import type { Quota } from "./plan-rows.js";

/** One quota adjustment as get-usage applies it: `delta` is added to used from `day` on. */
export interface Adjustment {
  periodStart: number;
  day: string;
  delta: number;
}

/** A key's count in one quota period: what the ledger holds, what adjustments add, and the sum. */
export interface PeriodUsage {
  ledger: number;
  adjustments: number;
  /** `ledger + adjustments`: what the quota counter must hold; `limit - effective` is remaining. */
  effective: number;
}

/** Requests per key and UTC day on a plan, from `fromDay` to `toDay` inclusive. */
export async function dailyLedger(
  db: Tx,
  planId: string,
  fromDay: string,
  toDay: string,
  keyIds?: string[],
): Promise<Map<string, Map<string, number>>> {
  if (keyIds?.length === 0) return new Map();
  let query = db
    .selectFrom("usage_counts")
    .select(["key_id", "day", (eb) => eb.fn.sum<number>("requests").as("requests")])
    .where("usage_plan_id", "=", planId)
    .where("day", ">=", fromDay)
    .where("day", "<=", toDay);
  if (keyIds) query = query.where("key_id", "in", keyIds);
  const out = new Map<string, Map<string, number>>();
  for (const row of await query.groupBy(["key_id", "day"]).execute()) {
    const days = out.get(row.key_id) ?? new Map<string, number>();
    days.set(row.day, Number(row.requests));
    out.set(row.key_id, days);
  }
  return out;
}

/** Quota adjustments per key on a plan made from `fromDay` to `toDay` inclusive. */
export async function adjustmentsByKey(
  db: Tx,
  planId: string,
  fromDay: string,
  toDay: string,
  keyIds?: string[],
): Promise<Map<string, Adjustment[]>> {
  if (keyIds?.length === 0) return new Map();
  let query = db
    .selectFrom("quota_adjustments")
    .select(["key_id", "period_start", "day", "delta"])
    .where("usage_plan_id", "=", planId)
    .where("day", ">=", fromDay)
    .where("day", "<=", toDay);
  if (keyIds) query = query.where("key_id", "in", keyIds);
  const out = new Map<string, Adjustment[]>();
  for (const row of await query.execute()) {
    const list = out.get(row.key_id) ?? [];
    list.push({ periodStart: Number(row.period_start), day: row.day, delta: Number(row.delta) });
    out.set(row.key_id, list);
  }
  return out;
}

/**
 * Each key's count in the quota period `[start, end)`: the ledger's admitted requests plus the
 * adjustments made for that period. Keys with neither are absent. The gateway seeds its counters
 * from this after a restart; alerts and reconciliation compare against it.
 */
export async function effectiveUsage(
  db: Tx,
  planId: string,
  period: { start: number; end: number },
  keyIds?: string[],
): Promise<Map<string, PeriodUsage>> {
  const [from, to] = [utcDay(period.start), utcDay(period.end - DAY_MS)];
  const [ledger, adjustments] = await Promise.all([
    dailyLedger(db, planId, from, to, keyIds),
    adjustmentsByKey(db, planId, from, to, keyIds),
  ]);
  const out = new Map<string, PeriodUsage>();
  for (const keyId of new Set([...ledger.keys(), ...adjustments.keys()])) {
    let used = 0;
    for (const n of ledger.get(keyId)?.values() ?? []) used += n;
    let delta = 0;
    for (const a of adjustments.get(keyId) ?? []) if (a.periodStart === period.start) delta += a.delta;
    out.set(keyId, { ledger: used, adjustments: delta, effective: used + delta });
  }
  return out;
}

/**
 * A key's `[used, remaining]` per day from `start` to `end` (epoch ms at 00:00 UTC), as
 * get-usage reports it: `used` is that day's admitted requests; `remaining` is what was left of
 * the quota at the end of that day in its own period (DAY, WEEK or MONTH), after the
 * adjustments made up to that day. `ledger` and `adjustments` must cover the period that holds
 * `start` (see `seriesFrom`). Without a quota, remaining is 0.
 */
export function usageSeries(
  start: number,
  end: number,
  quota: Quota | undefined,
  ledger: Map<string, number> | undefined,
  adjustments: Adjustment[] | undefined,
): Array<[number, number]> {
  const series: Array<[number, number]> = [];
  let period = { start: 0, end: 0 };
  let used = 0;
  for (let ms = quota ? seriesFrom(start, quota) : start; ms <= end; ms += DAY_MS) {
    const day = utcDay(ms);
    const requests = ledger?.get(day) ?? 0;
    if (quota && ms >= period.end) {
      period = quotaPeriod(ms, quota.period, quota.offset);
      used = 0;
    }
    used += requests;
    for (const a of adjustments ?? []) if (a.day === day && a.periodStart === period.start) used += a.delta;
    if (ms >= start) series.push([requests, quota ? Math.max(0, quota.limit - used) : 0]);
  }
  return series;
}

/** The first day a series from `start` must read: the start of the quota period holding `start`. */
export function seriesFrom(start: number, quota: Quota | undefined): number {
  return quota ? quotaPeriod(start, quota.period, quota.offset).start : start;
}
