import { fromJson, type Store } from "../store/index.js";
import type { InvoiceLine, PlanUsage } from "./invoice-lines.js";
import type { InvoiceStatus } from "./invoices.js";
import { liveRow } from "./invoices.js";
import { ledgerTotals, tenantRow } from "./lookups.js";
import { billingPeriod } from "./periods.js";

/** One plan's request counts from the store next to the ones the invoice billed. */
export interface PlanReconciliation {
  usagePlanId: string;
  /** Admitted requests in the ledger (`usage_counts`) for the tenant, plan and month, read now. */
  ledgerRequests: number;
  /** The requests the invoice counted for the plan (0 without an invoice). */
  invoicedRequests: number;
  /** APPLIED top-ups of the month on the plan, read now, and the ones the invoice counted. */
  purchasedTopUpRequests: number;
  invoicedTopUpRequests: number;
  /** Overage the invoice computed, and the requests its OVERAGE lines priced (0 for a plan without tiers). */
  overageRequests: number;
  billedOverageRequests: number;
  agrees: boolean;
}

/** What `reconcile` answers: the invoice quantities of a tenant's month next to the ledger's. */
export interface Reconciliation {
  tenantId: string;
  period: string;
  /** The live (not void) invoice compared, if there is one. */
  invoiceId?: string;
  invoiceStatus?: InvoiceStatus;
  /** True when every plan agrees. */
  agrees: boolean;
  plans: PlanReconciliation[];
}

/**
 * Compares the tenant's live invoice for `period` with the usage ledger and the top-ups, plan by
 * plan. A plan agrees when the invoice counted exactly the requests the ledger holds and the
 * top-ups bought. With no invoice, every plan with usage disagrees: it is not billed yet.
 *
 * @example
 *   const r = await reconcile(store, tenantId, "2026-03");
 *   if (!r.agrees) console.table(r.plans);
 */
export async function reconcile(store: Store, tenantId: string, period: string): Promise<Reconciliation> {
  const month = billingPeriod(period);
  const db = store.db;
  await tenantRow(db, tenantId);
  const ledger = await ledgerTotals(db, tenantId, month.firstDay, month.lastDay);
  const topUps = await db
    .selectFrom("topups")
    .select(["usage_plan_id", (eb) => eb.fn.sum<number>("requests").as("requests")])
    .where("tenant_id", "=", tenantId)
    .where("period", "=", month.period)
    .where("status", "=", "APPLIED")
    .groupBy("usage_plan_id")
    .execute();
  const purchased = new Map(topUps.map((t) => [t.usage_plan_id, Number(t.requests)]));
  const live = await liveRow(db, tenantId, month.period);
  const document = fromJson<{ usage: PlanUsage[]; lines: InvoiceLine[] }>(live?.document, {
    usage: [],
    lines: [],
  });
  const planIds = [
    ...new Set([...ledger.keys(), ...purchased.keys(), ...document.usage.map((u) => u.usagePlanId)]),
  ].sort();
  const plans = planIds.map((planId) => {
    const usage = document.usage.find((u) => u.usagePlanId === planId);
    const billed = document.lines
      .filter((l) => l.type === "OVERAGE" && l.usagePlanId === planId)
      .reduce((n, l) => n + l.quantity, 0);
    const plan = {
      usagePlanId: planId,
      ledgerRequests: ledger.get(planId) ?? 0,
      invoicedRequests: usage?.requests ?? 0,
      purchasedTopUpRequests: purchased.get(planId) ?? 0,
      invoicedTopUpRequests: usage?.topUpRequests ?? 0,
      overageRequests: usage?.overageRequests ?? 0,
      billedOverageRequests: billed,
    };
    const agrees =
      plan.ledgerRequests === plan.invoicedRequests &&
      plan.purchasedTopUpRequests === plan.invoicedTopUpRequests;
    return { ...plan, agrees };
  });
  return {
    tenantId,
    period: month.period,
    ...(live ? { invoiceId: live.id, invoiceStatus: live.status as InvoiceStatus } : {}),
    agrees: plans.every((p) => p.agrees),
    plans,
  };
}
