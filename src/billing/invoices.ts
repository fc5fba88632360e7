import type { Clock } from "../core/clock.js";
import { BadRequestError, ConflictError, NotFoundError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import { PLATFORM_EVENT_TYPES, recordPlatformEvent } from "../events/index.js";
import { fromJson, isUniqueViolation, type Store, type Tx, toJson } from "../store/index.js";
import { computeInvoice, type InvoiceLine, type PlanUsage } from "./invoice-lines.js";
import { ledgerTotals, planNames, tenantRow } from "./lookups.js";
import { formatMinor } from "./money.js";
import { addDays, type BillingPeriod, billingPeriod, dayOf } from "./periods.js";
import { priceTerms } from "./prices.js";
import { segmentsIn } from "./subscriptions.js";

export type InvoiceStatus = "DRAFT" | "FINALIZED" | "VOID";

/** An invoice of one tenant for one calendar month (UTC). Amounts are decimal strings in `currency`. */
export interface Invoice {
  id: string;
  tenantId: string;
  tenantName: string;
  /** `YYYY-MM`. */
  period: string;
  /** First and last day of the month, `YYYY-MM-DD`. */
  periodStart: string;
  periodEnd: string;
  currency: string;
  status: InvoiceStatus;
  lines: InvoiceLine[];
  usage: PlanUsage[];
  subtotal: string;
  /** Equal to the subtotal: Tollgate adds no tax. */
  total: string;
  /** Epoch seconds. */
  createdDate: number;
  lastUpdatedDate: number;
  finalizedDate?: number;
  voidedDate?: number;
}

export interface InvoiceFilter {
  tenantId?: string;
  period?: string;
  status?: string;
}

/** What an invoice row's `document` column holds. */
type InvoiceDocument = Pick<
  Invoice,
  "tenantName" | "periodStart" | "periodEnd" | "lines" | "usage" | "subtotal" | "total"
>;
type InvoiceRow = {
  id: string;
  tenant_id: string;
  period: string;
  status: string;
  currency: string;
  total: string;
  document: string;
  created_at: number;
  updated_at: number;
  finalized_at: number | null;
  voided_at: number | null;
};

const STATUSES: InvoiceStatus[] = ["DRAFT", "FINALIZED", "VOID"];

/**
 * Invoices: generated from subscriptions, prices, the usage ledger and top-ups. Generation is
 * idempotent: one live (not void) invoice per tenant and month; a draft is recomputed, and kept
 * untouched when nothing changed; a finalized invoice never changes (void it to start over).
 */
export class InvoiceService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** GenerateInvoice: creates or recomputes the tenant's invoice for `period`. */
  async generate(tenantId: string, period: string): Promise<Invoice> {
    const month = this.startedPeriod(period);
    try {
      return await this.store.transaction(async (trx) => {
        const tenant = await tenantRow(trx, tenantId);
        const live = await liveRow(trx, tenantId, month.period);
        if (live?.status === "FINALIZED") return toInvoice(live);
        const columns = await invoiceColumns(trx, tenant, month);
        if (live && live.document === columns.document && live.currency === columns.currency)
          return toInvoice(live);
        const now = this.clock.now();
        const row: InvoiceRow = live
          ? { ...live, ...columns, updated_at: now }
          : {
              id: newId(),
              tenant_id: tenantId,
              period: month.period,
              status: "DRAFT",
              ...columns,
              created_at: now,
              updated_at: now,
              finalized_at: null,
              voided_at: null,
            };
        if (live) await trx.updateTable("invoices").set(row).where("id", "=", row.id).execute();
        else await trx.insertInto("invoices").values(row).execute();
        return toInvoice(row);
      });
    } catch (error) {
      // A concurrent generation inserted the same invoice first: answer with it.
      if (!isUniqueViolation(error)) throw error;
      const live = await liveRow(this.store.db, tenantId, month.period);
      if (!live) throw error;
      return toInvoice(live);
    }
  }

  /**
   * The invoice the tenant's month would get if it were generated now, written nowhere (the
   * portal's projected bill). Refused as `generate` is: a month not started, nothing to bill.
   */
  async preview(tenantId: string, period: string): Promise<Invoice> {
    const month = this.startedPeriod(period);
    const tenant = await tenantRow(this.store.db, tenantId);
    const columns = await invoiceColumns(this.store.db, tenant, month);
    const now = this.clock.now();
    return toInvoice({
      id: "",
      tenant_id: tenantId,
      period: month.period,
      status: "DRAFT",
      ...columns,
      created_at: now,
      updated_at: now,
      finalized_at: null,
      voided_at: null,
    });
  }

  async get(id: string): Promise<Invoice> {
    return toInvoice(await invoiceRow(this.store.db, id));
  }

  /** Invoices by month, tenant and creation, filtered by tenant, month and status. */
  async list(filter: InvoiceFilter = {}): Promise<Invoice[]> {
    let query = this.store.db.selectFrom("invoices").selectAll();
    if (filter.tenantId) query = query.where("tenant_id", "=", filter.tenantId);
    if (filter.period) query = query.where("period", "=", billingPeriod(filter.period).period);
    if (filter.status) query = query.where("status", "=", checkStatus(filter.status));
    const rows = await query
      .orderBy("period")
      .orderBy("tenant_id")
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    return rows.map(toInvoice);
  }

  /**
   * FinalizeInvoice: recomputes the draft from the complete month one last time and freezes it.
   * Only after the month has ended, so that the ledger it reads is complete.
   */
  async finalize(id: string): Promise<Invoice> {
    return this.store.transaction(async (trx) => {
      const row = await invoiceRow(trx, id);
      checkTransition(row, "DRAFT", "finalize");
      const month = billingPeriod(row.period);
      const today = dayOf(this.clock.now());
      if (today <= month.lastDay) {
        throw new ConflictError(
          `Invoice ${id} bills ${month.period}, which has not ended: finalize it on or after ${addDays(month.lastDay, 1)}`,
        );
      }
      const tenant = await tenantRow(trx, row.tenant_id);
      const now = this.clock.now();
      const next = {
        ...row,
        ...(await invoiceColumns(trx, tenant, month)),
        status: "FINALIZED",
        finalized_at: now,
        updated_at: now,
      };
      await trx.updateTable("invoices").set(next).where("id", "=", id).execute();
      // The tenant hears of its invoice through the event bus, exactly when it is final.
      await recordPlatformEvent(trx, {
        source: "tollgate.billing",
        detailType: PLATFORM_EVENT_TYPES.invoiceFinalized,
        detail: {
          invoiceId: id,
          tenantId: next.tenant_id,
          period: next.period,
          currency: next.currency,
          total: next.total,
        },
        resources: [`invoices/${id}`],
        time: now,
      });
      return toInvoice(next);
    });
  }

  /** VoidInvoice: a finalized invoice is voided, never edited; generating the month again starts a new one. */
  async void(id: string): Promise<Invoice> {
    return this.store.transaction(async (trx) => {
      const row = await invoiceRow(trx, id);
      checkTransition(row, "FINALIZED", "void");
      const now = this.clock.now();
      const next = { ...row, status: "VOID", voided_at: now, updated_at: now };
      await trx.updateTable("invoices").set(next).where("id", "=", id).execute();
      return toInvoice(next);
    });
  }

  /** DeleteInvoice: drafts only; finalized invoices are voided instead, and kept. */
  async delete(id: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      checkTransition(await invoiceRow(trx, id), "DRAFT", "delete");
      await trx.deleteFrom("invoices").where("id", "=", id).execute();
    });
  }

  /** The month `period`, which must have started. */
  private startedPeriod(period: string): BillingPeriod {
    const month = billingPeriod(period);
    const today = dayOf(this.clock.now());
    if (month.firstDay > today) {
      throw new BadRequestError(`Invalid period '${period}': it has not started yet (today is ${today} UTC)`);
    }
    return month;
  }
}

/** The tenant's invoice for the month that is not void, if any. */
export async function liveRow(db: Tx, tenantId: string, period: string): Promise<InvoiceRow | undefined> {
  return db
    .selectFrom("invoices")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("period", "=", period)
    .where("status", "<>", "VOID")
    .executeTakeFirst();
}

/** Everything an invoice shows, computed now from the store. */
export async function invoiceColumns(db: Tx, tenant: { id: string; name: string }, month: BillingPeriod) {
  const segments = await segmentsIn(db, tenant.id, month.firstDay, month.lastDay);
  const ledger = await ledgerTotals(db, tenant.id, month.firstDay, month.lastDay);
  const topUps = await db
    .selectFrom("topups")
    .selectAll()
    .where("tenant_id", "=", tenant.id)
    .where("period", "=", month.period)
    .where("status", "=", "APPLIED")
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  const planIds = [
    ...new Set([
      ...segments.map((s) => s.usagePlanId),
      ...ledger.keys(),
      ...topUps.map((t) => t.usage_plan_id),
    ]),
  ];
  const computed = computeInvoice({
    period: month,
    segments,
    ledger,
    topUps: topUps.map((t) => ({
      id: t.id,
      usagePlanId: t.usage_plan_id,
      keyId: t.key_id,
      productName: t.product_name,
      quantity: Number(t.quantity),
      requests: Number(t.requests),
      currency: t.currency,
      unitPrice: t.unit_price,
      amount: t.amount,
    })),
    prices: await priceTerms(db, planIds),
    planNames: await planNames(db, planIds),
  });
  const subtotal = formatMinor(computed.subtotalMinor, computed.currency);
  const document: InvoiceDocument = {
    tenantName: tenant.name,
    periodStart: month.firstDay,
    periodEnd: month.lastDay,
    lines: computed.lines,
    usage: computed.usage,
    subtotal,
    total: subtotal,
  };
  return { currency: computed.currency.code, total: subtotal, document: toJson(document) };
}

async function invoiceRow(db: Tx, id: string): Promise<InvoiceRow> {
  const row = await db.selectFrom("invoices").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) throw new NotFoundError(`Invalid invoice identifier specified: ${id}`);
  return row;
}

function checkStatus(status: string): InvoiceStatus {
  if (!STATUSES.includes(status as InvoiceStatus)) {
    throw new BadRequestError(`Invalid status '${status}': must be one of ${STATUSES.join(", ")}`);
  }
  return status as InvoiceStatus;
}

/** Invoices move DRAFT → FINALIZED → VOID only. */
function checkTransition(row: InvoiceRow, from: InvoiceStatus, action: string): void {
  if (row.status === from) return;
  const why =
    row.status === "FINALIZED"
      ? "a finalized invoice never changes; void it and generate the month again"
      : row.status === "VOID"
        ? "it is void"
        : "it is a draft; finalize it first, or delete it";
  throw new ConflictError(`Cannot ${action} invoice ${row.id}: its status is ${row.status} and ${why}`);
}

function toInvoice(row: InvoiceRow): Invoice {
  const document = fromJson<InvoiceDocument>(row.document, {} as InvoiceDocument);
  return {
    id: row.id,
    tenantId: row.tenant_id,
    tenantName: document.tenantName,
    period: row.period,
    periodStart: document.periodStart,
    periodEnd: document.periodEnd,
    currency: row.currency,
    status: row.status as InvoiceStatus,
    lines: document.lines,
    usage: document.usage,
    subtotal: document.subtotal,
    total: document.total,
    createdDate: Math.floor(row.created_at / 1000),
    lastUpdatedDate: Math.floor(row.updated_at / 1000),
    ...(row.finalized_at !== null ? { finalizedDate: Math.floor(row.finalized_at / 1000) } : {}),
    ...(row.voided_at !== null ? { voidedDate: Math.floor(row.voided_at / 1000) } : {}),
  };
}
