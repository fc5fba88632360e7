import { randomUUID } from "node:crypto";
import type { Clock } from "../core/clock.js";
import { BadRequestError, ConflictError, NotFoundError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import { type PatchOperation, patchBoolean, patchValue, unsupportedPatch } from "../core/patch.js";
import { quotaPeriod } from "../counters/index.js";
import { fromJson, isUniqueViolation, type Store, type Tx, toJson } from "../store/index.js";
import { DAY_MS, parseRange } from "./dates.js";
import { effectiveUsage } from "./effective-usage.js";
import { meteredPlan, type Quota, requireKeyOnPlan } from "./plan-rows.js";

/** A usage alert: thresholds in percent of the quota, for every key of a plan or for one key. */
export interface UsageAlert {
  id: string;
  usagePlanId: string;
  /** Absent for the plan-wide alert. A key's own alert replaces the plan-wide one for that key. */
  keyId?: string;
  /** Whole percentages of the quota, ascending: `[80, 100]`. */
  thresholds: number[];
  enabled: boolean;
  description?: string;
  /** Epoch seconds. */
  createdDate: number;
  lastUpdatedDate: number;
}

export interface CreateUsageAlertInput {
  thresholds: number[];
  keyId?: string;
  enabled?: boolean;
  description?: string;
}

/** The `detail` of a "Quota Threshold Reached" event. */
export interface QuotaThresholdDetail {
  usagePlanId: string;
  keyId: string;
  tenantId: string;
  /** Percent of the quota. */
  threshold: number;
  /** Effective requests in the period when the threshold was seen crossed (ledger + adjustments). */
  used: number;
  limit: number;
  remaining: number;
  period: { unit: Quota["period"]; offset: number; start: string; end: string };
  alertId: string;
}

/** An event in EventBridge's envelope, as the outbox holds it for the event bus. */
export interface OutboxEvent<D = unknown> {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: D;
}

/** Filters of the fired-alert listing. */
export interface UsageAlertEventFilter {
  usagePlanId?: string;
  keyId?: string;
  tenantId?: string;
  startDate?: string;
  endDate?: string;
}

export const QUOTA_THRESHOLD_REACHED = "Quota Threshold Reached";
export const METERING_EVENT_SOURCE = "tollgate.metering";
/** Placeholders for EventBridge's account and region until the event bus assigns its own. */
const EVENT_ACCOUNT = "000000000000";
const EVENT_REGION = "local";
const MAX_THRESHOLDS = 10;
const PATCH_PATHS = ["/thresholds", "/enabled", "/description"];

type AlertRow = Awaited<ReturnType<typeof alertRow>>;

/**
 * Usage alerts: rules (per plan, or per key on a plan) and their evaluation. `evaluate` runs off
 * the request path (a periodic job): it compares each key's effective use in the current quota
 * period with its thresholds and records each crossing once per key, threshold and period, as a
 * "Quota Threshold Reached" event in the event outbox.
 */
export class UsageAlertService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async create(planId: string, input: CreateUsageAlertInput): Promise<UsageAlert> {
    const thresholds = checkThresholds(input.thresholds);
    const now = this.clock.now();
    try {
      const row = await this.store.transaction(async (trx) => {
        const plan = await meteredPlan(trx, planId);
        if (!plan.quota) {
          throw new BadRequestError(
            `Usage Plan ${planId} has no quota: usage alert thresholds are percentages of a quota`,
          );
        }
        if (input.keyId !== undefined) await requireKeyOnPlan(trx, planId, input.keyId);
        const row = {
          id: newId(),
          usage_plan_id: planId,
          key_id: input.keyId ?? "",
          thresholds: toJson(thresholds),
          enabled: input.enabled === false ? 0 : 1,
          description: input.description ?? null,
          created_at: now,
          updated_at: now,
        };
        await trx.insertInto("usage_alerts").values(row).execute();
        await this.store.bumpRevision(trx);
        return row;
      });
      return toAlert(row);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw new ConflictError(
        input.keyId
          ? `Usage Plan ${planId} already has a usage alert for API Key ${input.keyId}: update it instead`
          : `Usage Plan ${planId} already has a plan-wide usage alert: update it instead`,
      );
    }
  }

  async get(planId: string, alertId: string): Promise<UsageAlert> {
    return toAlert(await alertRow(this.store.db, planId, alertId));
  }

  /** The plan's alerts: the plan-wide one first, then per key. */
  async list(planId: string, filter: { keyId?: string } = {}): Promise<UsageAlert[]> {
    await meteredPlan(this.store.db, planId);
    let query = this.store.db.selectFrom("usage_alerts").selectAll().where("usage_plan_id", "=", planId);
    if (filter.keyId) query = query.where("key_id", "=", filter.keyId);
    const rows = await query.execute();
    return rows.sort((a, b) => a.key_id.localeCompare(b.key_id) || a.id.localeCompare(b.id)).map(toAlert);
  }

  /** UpdateUsageAlert: replace /thresholds ("80,100"), /enabled, /description; remove /description. */
  async update(planId: string, alertId: string, operations: PatchOperation[]): Promise<UsageAlert> {
    const row = await this.store.transaction(async (trx) => {
      const current = await alertRow(trx, planId, alertId);
      const next = { ...current, updated_at: this.clock.now() };
      for (const op of operations) applyOperation(next, op);
      await trx.updateTable("usage_alerts").set(next).where("id", "=", alertId).execute();
      await this.store.bumpRevision(trx);
      return next;
    });
    return toAlert(row);
  }

  async delete(planId: string, alertId: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      await alertRow(trx, planId, alertId);
      await trx.deleteFrom("usage_alerts").where("id", "=", alertId).execute();
      await this.store.bumpRevision(trx);
    });
  }

  /** Fired alerts, newest (then highest threshold) first, as the events written for the event bus. */
  async events(filter: UsageAlertEventFilter = {}): Promise<OutboxEvent<QuotaThresholdDetail>[]> {
    let query = this.store.db
      .selectFrom("usage_alert_firings")
      .innerJoin("event_outbox", "event_outbox.id", "usage_alert_firings.event_id")
      .select(["event_outbox.event", "event_outbox.created_at", "usage_alert_firings.threshold"]);
    if (filter.usagePlanId) query = query.where("usage_alert_firings.usage_plan_id", "=", filter.usagePlanId);
    if (filter.keyId) query = query.where("usage_alert_firings.key_id", "=", filter.keyId);
    if (filter.tenantId) query = query.where("usage_alert_firings.tenant_id", "=", filter.tenantId);
    if (filter.startDate || filter.endDate) {
      const range = parseRange(filter.startDate, filter.endDate);
      query = query
        .where("usage_alert_firings.fired_at", ">=", range.start)
        .where("usage_alert_firings.fired_at", "<", range.end + DAY_MS);
    }
    const rows = await query.execute();
    return rows
      .sort((a, b) => Number(b.created_at) - Number(a.created_at) || b.threshold - a.threshold)
      .map((r) =>
        fromJson<OutboxEvent<QuotaThresholdDetail>>(r.event, {} as OutboxEvent<QuotaThresholdDetail>),
      );
  }

  /**
   * One evaluation pass over every plan with a quota and enabled alerts; returns the events it
   * fired. Safe to run concurrently (a firing is unique per key, threshold and period).
   */
  async evaluate(): Promise<OutboxEvent<QuotaThresholdDetail>[]> {
    const now = this.clock.now();
    const rules = await this.store.db.selectFrom("usage_alerts").selectAll().execute();
    const fired: OutboxEvent<QuotaThresholdDetail>[] = [];
    for (const planId of new Set(rules.map((r) => r.usage_plan_id))) {
      fired.push(
        ...(await this.evaluatePlan(
          planId,
          rules.filter((r) => r.usage_plan_id === planId),
          now,
        )),
      );
    }
    return fired;
  }

  private async evaluatePlan(planId: string, rules: AlertRow[], now: number) {
    const plan = await meteredPlan(this.store.db, planId).catch(() => undefined);
    if (!plan?.quota || plan.quota.limit <= 0) return [];
    const quota = plan.quota;
    const period = quotaPeriod(now, quota.period, quota.offset);
    const [usage, keys, done] = await Promise.all([
      effectiveUsage(this.store.db, planId, period),
      this.keysWithTenants(planId),
      this.firedThresholds(planId, period.start),
    ]);
    const planWide = rules.find((r) => r.key_id === "");
    const fired: OutboxEvent<QuotaThresholdDetail>[] = [];
    for (const [keyId, tenantId] of keys) {
      const rule = rules.find((r) => r.key_id === keyId) ?? planWide;
      if (rule?.enabled !== 1) continue;
      const used = usage.get(keyId)?.effective ?? 0;
      for (const threshold of fromJson<number[]>(rule.thresholds, [])) {
        // Integer arithmetic: used / limit >= threshold / 100.
        if (used * 100 < threshold * quota.limit || done.has(`${keyId}\u0000${threshold}`)) continue;
        const detail: QuotaThresholdDetail = {
          usagePlanId: planId,
          keyId,
          tenantId,
          threshold,
          used,
          limit: quota.limit,
          remaining: Math.max(0, quota.limit - used),
          period: {
            unit: quota.period,
            offset: quota.offset,
            start: new Date(period.start).toISOString(),
            end: new Date(period.end).toISOString(),
          },
          alertId: rule.id,
        };
        const event = await this.fire(detail, period.start, now);
        if (event) fired.push(event);
      }
    }
    return fired;
  }

  /** The plan's keys with their tenant ids. */
  private async keysWithTenants(planId: string): Promise<Map<string, string>> {
    const rows = await this.store.db
      .selectFrom("usage_plan_keys")
      .innerJoin("api_keys", "api_keys.id", "usage_plan_keys.key_id")
      .select(["api_keys.id", "api_keys.customer_id"])
      .where("usage_plan_keys.usage_plan_id", "=", planId)
      .execute();
    return new Map(rows.map((r) => [r.id, r.customer_id ?? ""]));
  }

  private async firedThresholds(planId: string, periodStart: number): Promise<Set<string>> {
    const rows = await this.store.db
      .selectFrom("usage_alert_firings")
      .select(["key_id", "threshold"])
      .where("usage_plan_id", "=", planId)
      .where("period_start", "=", periodStart)
      .execute();
    return new Set(rows.map((r) => `${r.key_id}\u0000${r.threshold}`));
  }

  /**
   * Records the firing and its event together; another evaluator that got there first wins and
   * this one writes nothing. Data, not configuration: the revision does not move.
   */
  private async fire(detail: QuotaThresholdDetail, periodStart: number, now: number) {
    const event: OutboxEvent<QuotaThresholdDetail> = {
      version: "0",
      id: randomUUID(),
      "detail-type": QUOTA_THRESHOLD_REACHED,
      source: METERING_EVENT_SOURCE,
      account: EVENT_ACCOUNT,
      time: new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: EVENT_REGION,
      resources: [`usageplans/${detail.usagePlanId}`, `apikeys/${detail.keyId}`],
      detail,
    };
    return this.store.transaction(async (trx) => {
      const inserted = await trx
        .insertInto("usage_alert_firings")
        .values({
          usage_plan_id: detail.usagePlanId,
          key_id: detail.keyId,
          period_start: periodStart,
          threshold: detail.threshold,
          tenant_id: detail.tenantId,
          event_id: event.id,
          fired_at: now,
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return undefined;
      await trx
        .insertInto("event_outbox")
        .values({
          id: event.id,
          source: event.source,
          detail_type: event["detail-type"],
          event: toJson(event),
          created_at: now,
          published: 0,
          published_at: null,
        })
        .execute();
      return event;
    });
  }
}

async function alertRow(db: Tx, planId: string, alertId: string) {
  await meteredPlan(db, planId);
  const row = await db
    .selectFrom("usage_alerts")
    .selectAll()
    .where("id", "=", alertId)
    .where("usage_plan_id", "=", planId)
    .executeTakeFirst();
  if (!row)
    throw new NotFoundError(`Invalid Usage Alert identifier specified: ${alertId} (Usage Plan ${planId})`);
  return row;
}

/** Whole percentages from 1 to 100, at most ten, no repeats; returned ascending. */
function checkThresholds(thresholds: unknown[], where = "thresholds"): number[] {
  if (!Array.isArray(thresholds) || thresholds.length === 0 || thresholds.length > MAX_THRESHOLDS) {
    throw new BadRequestError(
      `Invalid ${where}: give 1 to ${MAX_THRESHOLDS} percentages of the quota, e.g. [80, 100]`,
    );
  }
  for (const t of thresholds) {
    if (typeof t !== "number" || !Number.isInteger(t) || t < 1 || t > 100) {
      throw new BadRequestError(
        `Invalid threshold '${String(t)}' in ${where}: must be a whole percentage from 1 to 100`,
      );
    }
  }
  const sorted = [...new Set(thresholds as number[])].sort((a, b) => a - b);
  if (sorted.length !== thresholds.length) {
    throw new BadRequestError(`Invalid ${where} [${thresholds.join(", ")}]: a threshold is listed twice`);
  }
  return sorted;
}

function applyOperation(row: AlertRow, op: PatchOperation): void {
  switch (`${op.op} ${op.path}`) {
    case "replace /thresholds": {
      const raw = patchValue(op);
      const values = raw.split(",").map((s) => (s.trim() === "" ? Number.NaN : Number(s)));
      row.thresholds = toJson(checkThresholds(values, `value '${raw}' for path '/thresholds'`));
      break;
    }
    case "replace /enabled":
      row.enabled = patchBoolean(op) ? 1 : 0;
      break;
    case "replace /description":
      row.description = op.value ?? null;
      break;
    case "remove /description":
      row.description = null;
      break;
    default:
      throw unsupportedPatch(op, PATCH_PATHS);
  }
}

function toAlert(row: AlertRow): UsageAlert {
  return {
    id: row.id,
    usagePlanId: row.usage_plan_id,
    ...(row.key_id ? { keyId: row.key_id } : {}),
    thresholds: fromJson<number[]>(row.thresholds, []),
    enabled: row.enabled === 1,
    ...(row.description !== null ? { description: row.description } : {}),
    createdDate: Math.floor(Number(row.created_at) / 1000),
    lastUpdatedDate: Math.floor(Number(row.updated_at) / 1000),
  };
}
