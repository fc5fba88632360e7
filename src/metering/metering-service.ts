import { randomUUID } from "node:crypto";
import type { Clock } from "../core/clock.js";
import { BadRequestError } from "../core/errors.js";
import { paginate } from "../core/paging.js";
import { type PatchOperation, patchNumber, unsupportedPatch } from "../core/patch.js";
import { type CounterEngine, quotaPeriod } from "../counters/index.js";
import type { Store, Tx } from "../store/index.js";
import { MAX_USAGE_RANGE_DAYS, parseMonth, parseRange, startOfDay } from "./dates.js";
import { adjustmentsByKey, dailyLedger, effectiveUsage, seriesFrom, usageSeries } from "./effective-usage.js";
import { utcDay } from "./ledger.js";
import {
  type MeteredPlan,
  meteredPlan,
  planKeyIds,
  type Quota,
  quotaCounterId,
  requireKeyOnPlan,
} from "./plan-rows.js";
import { type Reconciliation, reconcile } from "./reconcile.js";
import { type UsageReport, type UsageReportInput, usageReport } from "./usage-report.js";

/** API Gateway's Usage: `[used, remaining]` per day and key; `values` is `items` in the SDKs. */
export interface Usage {
  usagePlanId: string;
  startDate: string;
  endDate: string;
  values: Record<string, Array<[number, number]>>;
  position?: string;
}

/** GetUsage's query. */
export interface GetUsageInput {
  startDate?: string;
  endDate?: string;
  keyId?: string;
  limit?: string | number;
  position?: string;
}

/** API Gateway's integers are 32-bit. */
const MAX_INT = 2_147_483_647;
const REMAINING_PATHS = ["/remaining"];

/**
 * Metering: get-usage and update-usage in API Gateway's shapes, and quota extensions for
 * billing. Usage is read from the ledger the gateway writes (admitted requests per UTC day);
 * an update-usage or extension is stored as an adjustment of the period's used count, so that
 * get-usage, a restarted gateway and reconciliation all see it, and is applied at once to the
 * live counter engine (with Redis, every gateway process).
 */
export class MeteringService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly engine: CounterEngine,
  ) {}

  /**
   * GetUsage: one `[used, remaining]` pair per day from startDate to endDate (at most 90 days,
   * both included) for every key on the plan, or for `keyId` only. Keys are paged by `limit`.
   */
  async getUsage(planId: string, input: GetUsageInput): Promise<Usage> {
    const range = parseRange(input.startDate, input.endDate);
    if (range.days > MAX_USAGE_RANGE_DAYS) {
      throw new BadRequestError(
        `Invalid date range ${input.startDate} to ${input.endDate} (${range.days} days): the usage date range can't exceed ${MAX_USAGE_RANGE_DAYS} days`,
      );
    }
    const db = this.store.db;
    const plan = await meteredPlan(db, planId);
    const from = utcDay(seriesFrom(range.start, plan.quota));
    const keys = input.keyId
      ? await this.requestedKey(plan.id, input.keyId)
      : await this.usageKeys(plan.id, from, input.endDate!);
    const page = paginate(keys, input.limit, input.position);
    const values = await this.series(db, plan, range.start, range.end, page.item);
    return {
      usagePlanId: plan.id,
      startDate: input.startDate!,
      endDate: input.endDate!,
      values,
      ...(page.position ? { position: page.position } : {}),
    };
  }

  /**
   * UpdateUsage: `replace /remaining` sets what remains of the key's quota in the current
   * period. Answers the key's usage for the current period up to today.
   */
  async updateUsage(planId: string, keyId: string, operations: PatchOperation[]): Promise<Usage> {
    let remaining: number | undefined;
    for (const op of operations) {
      if (op.path !== "/remaining") throw unsupportedPatch(op, REMAINING_PATHS);
      if (op.op !== "replace") {
        throw new BadRequestError(
          `Invalid patch operation '${op.op}' for path '/remaining': UpdateUsage supports only 'replace'`,
        );
      }
      remaining = patchNumber(op, { integer: true, min: 0 });
      if (remaining > MAX_INT) {
        throw new BadRequestError(
          `Invalid value '${op.value}' for path '/remaining': must be at most ${MAX_INT}`,
        );
      }
    }
    const plan = await this.quotaPlan(planId, keyId);
    const target = remaining;
    const after =
      target === undefined ? undefined : await this.adjust(plan, keyId, "replace", null, () => target);
    const usage = await this.currentUsage(plan, keyId);
    // Today's pair ends in the new remaining even while the ledger still commits the last requests.
    const today = usage.values[keyId]?.at(-1);
    if (today && after !== undefined) today[1] = after;
    return usage;
  }

  /**
   * Adds `extraRequests` to what remains of the key's quota in the current period (a top-up)
   * and returns the new remaining. Same persistence and engine update as UpdateUsage.
   *
   * With `id`, the extension happens once: a second call with the same id (a retry after a
   * crash) changes nothing and returns the remaining the first one left.
   *
   * @example
   * const remaining = await metering.extendQuota(planId, keyId, 10_000, "top-up order 42");
   */
  async extendQuota(
    planId: string,
    keyId: string,
    extraRequests: number,
    reason: string,
    id?: string,
  ): Promise<number> {
    if (!Number.isInteger(extraRequests) || extraRequests < 1 || extraRequests > MAX_INT) {
      throw new BadRequestError(
        `Invalid extraRequests '${extraRequests}': must be a whole number from 1 to ${MAX_INT}`,
      );
    }
    const plan = await this.quotaPlan(planId, keyId);
    return this.adjust(plan, keyId, "extend", reason, (current) => current + extraRequests, id);
  }

  /** Tollgate's detailed usage: admitted requests per tenant, key, plan, API, stage, method, day. */
  report(input: UsageReportInput): Promise<UsageReport> {
    return usageReport(this.store.db, input);
  }

  /**
   * Reconciles a plan's ledger, get-usage and live quota counters: for the calendar month
   * `period` (`YYYY-MM`) or, by default, the current quota period (the current calendar month
   * for a plan without quota). Live counters are compared when the window holds today.
   */
  async reconcile(planId: string, options: { period?: string } = {}): Promise<Reconciliation> {
    const plan = await meteredPlan(this.store.db, planId);
    const now = this.clock.now();
    const window = options.period
      ? parseMonth("period", options.period)
      : plan.quota
        ? quotaPeriod(now, plan.quota.period, plan.quota.offset)
        : parseMonth("period", utcDay(now).slice(0, 7));
    return reconcile(this.store.db, this.engine, plan, window, now, (start, end) =>
      this.allUsage(plan.id, utcDay(start), utcDay(end)),
    );
  }

  /** Every page of get-usage's values for a range of at most 90 days. */
  private async allUsage(planId: string, startDate: string, endDate: string) {
    const values: Usage["values"] = {};
    let position: string | undefined;
    do {
      const page = await this.getUsage(planId, { startDate, endDate, limit: 500, position });
      Object.assign(values, page.values);
      position = page.position;
    } while (position);
    return values;
  }

  /** The plan, which must have a quota and hold the key; otherwise a 404 or 400. */
  private async quotaPlan(planId: string, keyId: string): Promise<MeteredPlan & { quota: Quota }> {
    const plan = await meteredPlan(this.store.db, planId);
    await requireKeyOnPlan(this.store.db, planId, keyId);
    if (!plan.quota) {
      throw new BadRequestError(
        `Usage Plan ${planId} has no quota: there is no remaining quota to update (set the plan's quota first)`,
      );
    }
    return plan as MeteredPlan & { quota: Quota };
  }

  /**
   * Records an adjustment that takes remaining from its current value to `next(current)` in the
   * current period, then sets the live counter to match. Returns the new remaining.
   */
  private async adjust(
    plan: MeteredPlan & { quota: Quota },
    keyId: string,
    kind: "replace" | "extend",
    reason: string | null,
    next: (currentRemaining: number) => number,
    id: string = randomUUID(),
  ): Promise<number> {
    const now = this.clock.now();
    const period = quotaPeriod(now, plan.quota.period, plan.quota.offset);
    const { limit } = plan.quota;
    const counterId = quotaCounterId(keyId, plan.id);
    let repeated = false;
    const remaining = await this.store.transaction(async (trx) => {
      await this.lockKeyOnPlan(trx, plan.id, keyId);
      const done = await trx
        .selectFrom("quota_adjustments")
        .select("remaining")
        .where("id", "=", id)
        .executeTakeFirst();
      if (done) {
        repeated = true;
        return Number(done.remaining);
      }
      const stored = (await effectiveUsage(trx, plan.id, period, [keyId])).get(keyId)?.effective ?? 0;
      // The ledger commits a few ms behind the counter: requests the counter holds beyond it are used too.
      const counted = await this.engine.quotaUsed(counterId, period.start);
      const used = counted === undefined ? stored : Math.max(stored, counted);
      const remaining = next(limit - used);
      if (remaining > MAX_INT) {
        throw new BadRequestError(`The remaining quota would be ${remaining}: it must be at most ${MAX_INT}`);
      }
      await trx
        .insertInto("quota_adjustments")
        .values({
          id,
          usage_plan_id: plan.id,
          key_id: keyId,
          period_start: period.start,
          day: utcDay(now),
          delta: limit - remaining - used,
          kind,
          remaining,
          reason,
          created_at: now,
        })
        .execute();
      await this.store.bumpRevision(trx);
      return remaining;
    });
    if (!repeated) await this.engine.setQuotaRemaining(counterId, period.start, limit, remaining);
    return remaining;
  }

  /**
   * Serializes adjustments of one key on PostgreSQL (a replace reads the count it shifts);
   * SQLite runs one write transaction at a time anyway.
   */
  private async lockKeyOnPlan(trx: Tx, planId: string, keyId: string): Promise<void> {
    if (this.store.dialect !== "postgres") return;
    await trx
      .selectFrom("usage_plan_keys")
      .select("key_id")
      .where("usage_plan_id", "=", planId)
      .where("key_id", "=", keyId)
      .forUpdate()
      .execute();
  }

  /** The key's usage from the start of the current quota period to today. */
  private async currentUsage(plan: MeteredPlan & { quota: Quota }, keyId: string): Promise<Usage> {
    const now = this.clock.now();
    const start = quotaPeriod(now, plan.quota.period, plan.quota.offset).start;
    const today = startOfDay(now);
    const values = await this.series(this.store.db, plan, start, today, [keyId]);
    return { usagePlanId: plan.id, startDate: utcDay(start), endDate: utcDay(today), values };
  }

  /** `keyId` alone, when it is on the plan (or was, and has usage on it). */
  private async requestedKey(planId: string, keyId: string): Promise<string[]> {
    const seen = await this.store.db
      .selectFrom("usage_counts")
      .select("key_id")
      .where("usage_plan_id", "=", planId)
      .where("key_id", "=", keyId)
      .limit(1)
      .executeTakeFirst();
    if (!seen) await requireKeyOnPlan(this.store.db, planId, keyId);
    return [keyId];
  }

  /** The plan's keys and any other key with usage on it in the days read, sorted. */
  private async usageKeys(planId: string, fromDay: string, toDay: string): Promise<string[]> {
    const [onPlan, used] = await Promise.all([
      planKeyIds(this.store.db, planId),
      this.store.db
        .selectFrom("usage_counts")
        .select("key_id")
        .distinct()
        .where("usage_plan_id", "=", planId)
        .where("day", ">=", fromDay)
        .where("day", "<=", toDay)
        .execute(),
    ]);
    return [...new Set([...onPlan, ...used.map((r) => r.key_id)])].sort();
  }

  /** `[used, remaining]` per day from `start` to `end` for each key. */
  private async series(
    db: Tx,
    plan: MeteredPlan,
    start: number,
    end: number,
    keyIds: string[],
  ): Promise<Record<string, Array<[number, number]>>> {
    const [from, to] = [utcDay(seriesFrom(start, plan.quota)), utcDay(end)];
    const [ledger, adjustments] = await Promise.all([
      dailyLedger(db, plan.id, from, to, keyIds),
      adjustmentsByKey(db, plan.id, from, to, keyIds),
    ]);
    const values: Record<string, Array<[number, number]>> = {};
    for (const keyId of keyIds) {
      values[keyId] = usageSeries(start, end, plan.quota, ledger.get(keyId), adjustments.get(keyId));
    }
    return values;
  }
}
