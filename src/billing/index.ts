/**
 * Billing: prices on usage plans (monthly fee, included requests, graduated or volume overage
 * tiers per 1,000 requests), top-up products and purchases (which extend quotas through
 * metering), subscriptions (which plan a tenant is billed for, from which day), and invoices per
 * tenant and calendar month with their CSV and HTML exports and a reconciliation against the
 * usage ledger. Money is exact: bigint minor units, decimal strings on the wire.
 */
import type { Clock } from "../core/clock.js";
import type { Store } from "../store/index.js";
import { InvoiceService } from "./invoices.js";
import { PriceService } from "./prices.js";
import { type Reconciliation, reconcile } from "./reconciliation.js";
import { SubscriptionService } from "./subscriptions.js";
import { type QuotaExtender, TopUpService } from "./topups.js";

export { CSV_COLUMNS, invoicesCsv } from "./invoice-csv.js";
export { invoiceHtml } from "./invoice-html.js";
export type { InvoiceLine, InvoiceLineType, PlanUsage } from "./invoice-lines.js";
export type { Invoice, InvoiceFilter, InvoiceService, InvoiceStatus } from "./invoices.js";
export type { PlanPrice, PriceService, PriceTier, PutPlanPriceInput, TiersMode } from "./prices.js";
export type { PlanReconciliation, Reconciliation } from "./reconciliation.js";
export type { CreateSubscriptionInput, Subscription, SubscriptionService } from "./subscriptions.js";
export type {
  CreateTopUpProductInput,
  PurchaseTopUpInput,
  QuotaExtender,
  TopUp,
  TopUpProduct,
  TopUpService,
} from "./topups.js";

/**
 * The billing services over one store and clock. Top-ups extend quotas through `quota`
 * (metering's `extendQuota`).
 *
 * @example
 *   const billing = new Billing(store, clock, metering);
 *   await billing.prices.put(planId, { currency: "USD", monthlyFee: "49.00", includedRequests: 100000 });
 *   const invoice = await billing.invoices.generate(tenantId, "2026-03");
 */
export class Billing {
  readonly prices: PriceService;
  readonly subscriptions: SubscriptionService;
  readonly topUps: TopUpService;
  readonly invoices: InvoiceService;

  constructor(
    private readonly store: Store,
    clock: Clock,
    quota: QuotaExtender,
  ) {
    this.prices = new PriceService(store, clock);
    this.subscriptions = new SubscriptionService(store, clock);
    this.topUps = new TopUpService(store, clock, quota);
    this.invoices = new InvoiceService(store, clock);
  }

  /** The invoice quantities of a tenant's month per plan, next to the ledger's totals and the top-ups bought. */
  reconcile(tenantId: string, period: string): Promise<Reconciliation> {
    return reconcile(this.store, tenantId, period);
  }
}
