import type { Store } from "../store/index.js";
import { DAY_MS, startOfDay } from "./dates.js";
import { utcDay } from "./ledger.js";
import { METERING_EVENT_SOURCE } from "./usage-alerts.js";

/** How many days of usage are kept by default (a year and a month, for year-over-year invoices). */
export const DEFAULT_RETENTION_DAYS = 400;
/** The least retention allowed: get-usage must always be able to look 90 days back. */
export const MIN_RETENTION_DAYS = 90;

/**
 * The usage retention from `TOLLGATE_USAGE_RETENTION_DAYS` (default 400, at least 90).
 * @throws Error naming the variable when the value is not a whole number of at least 90.
 */
export function usageRetentionDays(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.TOLLGATE_USAGE_RETENTION_DAYS;
  if (raw === undefined || raw === "") return DEFAULT_RETENTION_DAYS;
  const days = Number(raw);
  if (!Number.isInteger(days) || days < MIN_RETENTION_DAYS) {
    throw new Error(
      `Invalid TOLLGATE_USAGE_RETENTION_DAYS '${raw}': expected a whole number of days, at least ${MIN_RETENTION_DAYS}`,
    );
  }
  return days;
}

/** Rows removed by one pruning pass, per table. */
export interface PruneResult {
  /** The first UTC day kept. */
  keptFrom: string;
  usageCounts: number;
  usageStats: number;
  quotaAdjustments: number;
  alertFirings: number;
  events: number;
}

/**
 * Deletes metering rows older than `retentionDays` before today (UTC): ledger counts and stats,
 * quota adjustments, alert firings and their outbox events once published. Idempotent.
 */
export async function pruneUsage(store: Store, now: number, retentionDays: number): Promise<PruneResult> {
  const horizon = startOfDay(now) - retentionDays * DAY_MS;
  const keptFrom = utcDay(horizon);
  return store.transaction(async (trx) => {
    const counts = await trx.deleteFrom("usage_counts").where("day", "<", keptFrom).executeTakeFirst();
    const stats = await trx.deleteFrom("usage_stats").where("day", "<", keptFrom).executeTakeFirst();
    const adjustments = await trx
      .deleteFrom("quota_adjustments")
      .where("day", "<", keptFrom)
      .executeTakeFirst();
    const firings = await trx
      .deleteFrom("usage_alert_firings")
      .where("fired_at", "<", horizon)
      .executeTakeFirst();
    const events = await trx
      .deleteFrom("event_outbox")
      .where("source", "=", METERING_EVENT_SOURCE)
      .where("published", "=", 1)
      .where("created_at", "<", horizon)
      .executeTakeFirst();
    return {
      keptFrom,
      usageCounts: Number(counts.numDeletedRows),
      usageStats: Number(stats.numDeletedRows),
      quotaAdjustments: Number(adjustments.numDeletedRows),
      alertFirings: Number(firings.numDeletedRows),
      events: Number(events.numDeletedRows),
    };
  });
}
