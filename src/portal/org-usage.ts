import type { Billing, Invoice } from "../billing/index.js";
import type { Clock } from "../core/clock.js";
import { DomainError } from "../core/errors.js";
import { type MeteringService, utcDay } from "../metering/index.js";
import type { ApiKeyService, UsagePlanService } from "../plans/index.js";
import type { Store } from "../store/index.js";

/** One key's days on one plan: requests per day, and what remains of the quota at the end. */
export interface KeyUsage {
  keyId: string;
  keyName: string;
  /** Requests admitted per day of the period, in order. */
  used: number[];
  total: number;
  /** Remaining quota after the last day, when the plan has a quota. */
  remaining?: number;
}

export interface PlanUsageView {
  usagePlanId: string;
  usagePlanName: string;
  quota?: { limit: number; period: string };
  keys: KeyUsage[];
  /** All the organization's keys together, per day. */
  daily: number[];
  total: number;
}

/** Answers by status class, per key, from the gateway's outcome statistics. */
export interface KeyOutcomes {
  keyId: string;
  keyName: string;
  success: number;
  clientErrors: number;
  serverErrors: number;
  /** 429 answers (throttled or over quota). */
  throttled: number;
}

export interface OrgUsageView {
  /** The current billing period: the calendar month (UTC) up to today. */
  startDate: string;
  endDate: string;
  days: string[];
  plans: PlanUsageView[];
  outcomes: KeyOutcomes[];
  /** The month's invoice if it were generated now; absent with nothing to bill. */
  projected?: Invoice;
  projectedNote?: string;
}

/**
 * Usage of an organization's keys for the current month, read from the same places get-usage
 * reads (metering's `getUsage` per plan and key), plus the outcome statistics the gateway writes
 * after each answer, and the projected bill (billing's preview of the month's invoice).
 */
export class OrgUsageService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly services: {
      metering: MeteringService;
      apiKeys: ApiKeyService;
      usagePlans: UsagePlanService;
      billing: Billing;
      commitUsage?: () => Promise<void>;
    },
  ) {}

  async view(tenantId: string, currentPlanId?: string): Promise<OrgUsageView> {
    await this.services.commitUsage?.().catch(() => {});
    const now = this.clock.now();
    const endDate = utcDay(now);
    const startDate = `${endDate.slice(0, 8)}01`;
    const days: string[] = [];
    for (let d = startDate; d <= endDate; d = nextDay(d)) days.push(d);
    const keys = await this.services.apiKeys.list({ customerId: tenantId });
    const names = new Map(keys.map((k) => [k.id, k.name ?? k.id]));

    // Which plans and keys have usage this month, plus the current plan with its live keys.
    const report = await this.services.metering.report({
      startDate,
      endDate,
      groupBy: "plan,key",
      tenantId,
      limit: 500,
    });
    const pairs = new Map<string, Set<string>>();
    const add = (planId: string, keyId: string) =>
      pairs.set(planId, (pairs.get(planId) ?? new Set()).add(keyId));
    for (const row of report.item)
      if (row.usagePlanId && row.keyId && names.has(row.keyId)) add(row.usagePlanId, row.keyId);
    if (currentPlanId) {
      for (const k of keys) if (!k.expiresDate || k.expiresDate * 1000 > now) add(currentPlanId, k.id);
    }

    const plans: PlanUsageView[] = [];
    for (const [planId, keyIds] of pairs) {
      const plan = await this.services.usagePlans.get(planId).catch(() => undefined);
      const view: PlanUsageView = {
        usagePlanId: planId,
        usagePlanName: plan?.name ?? planId,
        ...(plan?.quota?.limit !== undefined
          ? { quota: { limit: plan.quota.limit, period: plan.quota.period ?? "MONTH" } }
          : {}),
        keys: [],
        daily: days.map(() => 0),
        total: 0,
      };
      for (const keyId of [...keyIds].sort()) {
        const usage = await this.services.metering
          .getUsage(planId, { startDate, endDate, keyId })
          .catch((error) => {
            if (error instanceof DomainError) return undefined;
            throw error;
          });
        const series = usage?.values[keyId] ?? [];
        const used = days.map((_, i) => series[i]?.[0] ?? 0);
        const total = used.reduce((a, b) => a + b, 0);
        used.forEach((n, i) => {
          view.daily[i]! += n;
        });
        view.total += total;
        view.keys.push({
          keyId,
          keyName: names.get(keyId) ?? keyId,
          used,
          total,
          ...(view.quota && series.length ? { remaining: series.at(-1)![1] } : {}),
        });
      }
      plans.push(view);
    }
    plans.sort(
      (a, b) =>
        Number(b.usagePlanId === currentPlanId) - Number(a.usagePlanId === currentPlanId) ||
        a.usagePlanName.localeCompare(b.usagePlanName),
    );

    const outcomes = await this.outcomes([...names.keys()], startDate, endDate, names);
    const projection = await this.services.billing.invoices.preview(tenantId, startDate.slice(0, 7)).then(
      (invoice) => ({ projected: invoice }),
      (error) => {
        if (error instanceof DomainError) return { projectedNote: "Nothing to bill this month so far." };
        throw error;
      },
    );
    return { startDate, endDate, days, plans, outcomes, ...projection };
  }

  private async outcomes(
    keyIds: string[],
    from: string,
    to: string,
    names: Map<string, string>,
  ): Promise<KeyOutcomes[]> {
    if (!keyIds.length) return [];
    const rows = await this.store.db
      .selectFrom("usage_stats")
      .select(["key_id", "status", (eb) => eb.fn.sum<number>("requests").as("n")])
      .where("key_id", "in", keyIds)
      .where("day", ">=", from)
      .where("day", "<=", to)
      .groupBy(["key_id", "status"])
      .execute();
    const byKey = new Map<string, KeyOutcomes>();
    for (const row of rows) {
      const entry = byKey.get(row.key_id) ?? {
        keyId: row.key_id,
        keyName: names.get(row.key_id) ?? row.key_id,
        success: 0,
        clientErrors: 0,
        serverErrors: 0,
        throttled: 0,
      };
      const n = Number(row.n);
      if (row.status === 429) entry.throttled += n;
      else if (row.status >= 500) entry.serverErrors += n;
      else if (row.status >= 400) entry.clientErrors += n;
      else entry.success += n;
      byKey.set(row.key_id, entry);
    }
    return [...byKey.values()].sort((a, b) => a.keyName.localeCompare(b.keyName));
  }
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
