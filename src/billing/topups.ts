import type { Clock } from "../core/clock.js";
import { BadRequestError, NotFoundError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import {
  type PatchOperation,
  patchNumber,
  patchSegments,
  patchValue,
  unsupportedPatch,
} from "../core/patch.js";
import type { Store, Tx } from "../store/index.js";
import { findPriceRow, keyOnPlan, keyRow, planRow, tenantRow } from "./lookups.js";
import { currency, formatMinor, parseDecimal } from "./money.js";
import { billingPeriod, periodOf } from "./periods.js";
import { MAX_REQUESTS } from "./prices.js";

/**
 * What billing needs of metering: a quota extension for the current period, persisted and
 * applied to the live counters of every gateway (AWS's update-usage, by an amount).
 */
export interface QuotaExtender {
  /** Extends once per `id`: a repeated call with the same id changes nothing. */
  extendQuota(
    planId: string,
    keyId: string,
    extraRequests: number,
    reason: string,
    id: string,
  ): Promise<unknown>;
}

/** A product that adds `requests` to a key's current quota period for `price`. */
export interface TopUpProduct {
  id: string;
  name: string;
  description?: string;
  requests: number;
  /** ISO 4217 code. */
  currency: string;
  /** Decimal string, at most the currency's minor digits. */
  price: string;
  /** Epoch seconds. */
  createdDate: number;
  lastUpdatedDate: number;
}

export interface CreateTopUpProductInput {
  name: string;
  description?: string;
  requests: number;
  currency: string;
  price: string;
}

/** A purchase of `quantity` top-ups for a tenant's key on a plan; a line of the invoice of `period`. */
export interface TopUp {
  id: string;
  productId: string;
  productName: string;
  tenantId: string;
  keyId: string;
  usagePlanId: string;
  /** The billing month it was bought in, `YYYY-MM`. */
  period: string;
  quantity: number;
  /** Extra requests granted: the product's requests times `quantity`. */
  requests: number;
  currency: string;
  /** The product's price when bought, and that times `quantity` (decimal strings). */
  unitPrice: string;
  amount: string;
  /** PENDING while the quota is being extended; only APPLIED purchases are billed. */
  status: "PENDING" | "APPLIED";
  createdDate: number;
}

export interface PurchaseTopUpInput {
  productId: string;
  usagePlanId: string;
  keyId: string;
  /** Whole number from 1; 1 when absent. */
  quantity?: number;
  /** When given, must be the key's owner. */
  tenantId?: string;
}

const MAX_QUANTITY = 1000;
const PRODUCT_PATHS = ["/name", "/description", "/requests", "/currency", "/price"];

type ProductRow = {
  id: string;
  name: string;
  description: string | null;
  requests: number;
  currency: string;
  price: string;
  created_at: number;
  updated_at: number;
};
type TopUpRow = Omit<
  TopUp,
  "productId" | "productName" | "tenantId" | "keyId" | "usagePlanId" | "unitPrice" | "createdDate" | "status"
> & {
  product_id: string;
  product_name: string;
  tenant_id: string;
  key_id: string;
  usage_plan_id: string;
  unit_price: string;
  status: string;
  created_at: number;
};

/** Top-up products and their purchases. A purchase extends the quota through metering. */
export class TopUpService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly quota: QuotaExtender,
  ) {}

  async createProduct(input: CreateTopUpProductInput): Promise<TopUpProduct> {
    const now = this.clock.now();
    const row = checkProduct({
      id: newId(),
      name: input.name,
      description: input.description ?? null,
      requests: input.requests,
      currency: input.currency,
      price: input.price,
      created_at: now,
      updated_at: now,
    });
    await this.store.transaction(async (trx) => {
      await trx.insertInto("topup_products").values(row).execute();
    });
    return toProduct(row);
  }

  async getProduct(id: string): Promise<TopUpProduct> {
    return toProduct(await productRow(this.store.db, id));
  }

  /** Products by name, then id. */
  async listProducts(): Promise<TopUpProduct[]> {
    const rows = await this.store.db
      .selectFrom("topup_products")
      .selectAll()
      .orderBy("name")
      .orderBy("id")
      .execute();
    return rows.map(toProduct);
  }

  /** UpdateTopUpProduct: `replace` on /name, /description, /requests, /currency, /price; past purchases keep their copies. */
  async updateProduct(id: string, operations: PatchOperation[]): Promise<TopUpProduct> {
    const row = await this.store.transaction(async (trx) => {
      const draft = { ...(await productRow(trx, id)), updated_at: this.clock.now() };
      for (const op of operations) applyProductOperation(draft, op);
      const next = checkProduct(draft);
      await trx.updateTable("topup_products").set(next).where("id", "=", id).execute();
      return next;
    });
    return toProduct(row);
  }

  async deleteProduct(id: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      await productRow(trx, id);
      await trx.deleteFrom("topup_products").where("id", "=", id).execute();
    });
  }

  /**
   * Buys `quantity` of a product for a key on a plan: checks everything, records the purchase as
   * PENDING, extends the quota (once per purchase id), then marks it APPLIED. If the extension
   * fails the record goes, so a failed purchase is never billed; one left PENDING by a crash is
   * completed by `completePending`.
   */
  async purchase(input: PurchaseTopUpInput): Promise<TopUp> {
    const row = await this.store.transaction(async (trx) => {
      const row = await this.checkedPurchase(trx, input);
      await trx.insertInto("topups").values(row).execute();
      return row;
    });
    await this.apply(row);
    return toTopUp({ ...row, status: "APPLIED" });
  }

  /**
   * Completes purchases a crash left PENDING for longer than `olderThanMs`: extends the quota if
   * that had not happened yet (never twice) and marks them APPLIED; one whose extension can no
   * longer be made (the key left the plan) is removed, as a failed purchase is. Runs at start.
   */
  async completePending(olderThanMs = 60_000): Promise<{ applied: number; removed: number }> {
    const rows = await this.store.db
      .selectFrom("topups")
      .selectAll()
      .where("status", "=", "PENDING")
      .where("created_at", "<", this.clock.now() - olderThanMs)
      .execute();
    let applied = 0;
    for (const row of rows) {
      try {
        await this.apply(row);
        applied++;
      } catch {
        // apply removed it
      }
    }
    return { applied, removed: rows.length - applied };
  }

  private async apply(row: TopUpRow): Promise<void> {
    try {
      await this.quota.extendQuota(
        row.usage_plan_id,
        row.key_id,
        Number(row.requests),
        `top-up ${row.id}: ${row.quantity} x '${row.product_name}' (${row.requests} requests)`,
        row.id,
      );
    } catch (error) {
      await this.store.transaction((trx) => trx.deleteFrom("topups").where("id", "=", row.id).execute());
      throw error;
    }
    await this.store.transaction(async (trx) => {
      await trx.updateTable("topups").set({ status: "APPLIED" }).where("id", "=", row.id).execute();
    });
  }

  async get(id: string): Promise<TopUp> {
    const row = await this.store.db.selectFrom("topups").selectAll().where("id", "=", id).executeTakeFirst();
    if (!row) throw new NotFoundError(`Invalid top-up identifier specified: ${id}`);
    return toTopUp(row);
  }

  /** Purchases, oldest first, optionally of one tenant and one billing month. */
  async list(filter: { tenantId?: string; period?: string } = {}): Promise<TopUp[]> {
    let query = this.store.db.selectFrom("topups").selectAll();
    if (filter.tenantId) query = query.where("tenant_id", "=", filter.tenantId);
    if (filter.period) query = query.where("period", "=", billingPeriod(filter.period).period);
    const rows = await query.orderBy("created_at").orderBy("id").execute();
    return rows.map(toTopUp);
  }

  private async checkedPurchase(trx: Tx, input: PurchaseTopUpInput): Promise<TopUpRow> {
    const quantity = input.quantity ?? 1;
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
      throw new BadRequestError(
        `Invalid quantity '${quantity}': must be a whole number from 1 to ${MAX_QUANTITY}; a top-up only adds requests`,
      );
    }
    const product = await productRow(trx, input.productId);
    const plan = await planRow(trx, input.usagePlanId);
    const key = await keyRow(trx, input.keyId);
    const tenantId = await checkOwner(trx, key, input.tenantId);
    if (!(await keyOnPlan(trx, plan.id, key.id))) {
      throw new NotFoundError(
        `Invalid Usage Plan Key identifier specified: API Key ${key.id} is not on Usage Plan ${plan.id}`,
      );
    }
    if (!plan.hasQuota) {
      throw new BadRequestError(
        `Usage plan ${plan.id} has no quota: there is nothing for a top-up to extend`,
      );
    }
    await checkCurrency(trx, plan.id, product.currency);
    const requests = product.requests * quantity;
    if (requests > MAX_REQUESTS) {
      throw new BadRequestError(
        `Invalid quantity ${quantity}: ${requests} requests exceed the quota maximum ${MAX_REQUESTS}`,
      );
    }
    const cur = currency(product.currency);
    return {
      id: newId(),
      product_id: product.id,
      product_name: product.name,
      tenant_id: tenantId,
      key_id: key.id,
      usage_plan_id: plan.id,
      period: periodOf(this.clock.now()),
      quantity,
      requests,
      currency: cur.code,
      unit_price: product.price,
      amount: formatMinor(parseDecimal(product.price, cur.digits, "price") * BigInt(quantity), cur),
      status: "PENDING",
      created_at: this.clock.now(),
    };
  }
}

async function productRow(db: Tx, id: string): Promise<ProductRow> {
  const row = await db.selectFrom("topup_products").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) throw new NotFoundError(`Invalid top-up product identifier specified: ${id}`);
  return row;
}

/** The key's tenant: it must have one, and be the one named when a tenant is given. */
async function checkOwner(
  db: Tx,
  key: { id: string; tenantId: string | null },
  tenantId: string | undefined,
): Promise<string> {
  if (tenantId !== undefined) await tenantRow(db, tenantId);
  if (!key.tenantId) {
    throw new BadRequestError(
      `API key ${key.id} has no tenant (customerId): a top-up is billed to the key's tenant`,
    );
  }
  if (tenantId !== undefined && tenantId !== key.tenantId) {
    throw new BadRequestError(`API key ${key.id} belongs to tenant ${key.tenantId}, not ${tenantId}`);
  }
  await tenantRow(db, key.tenantId);
  return key.tenantId;
}

/** A priced plan bills in one currency; a top-up on it must be in the same. */
async function checkCurrency(db: Tx, planId: string, code: string): Promise<void> {
  const price = await findPriceRow(db, planId);
  if (price && price.currency !== code) {
    throw new BadRequestError(
      `Top-up product is priced in ${code} but usage plan ${planId} bills in ${price.currency}: an invoice has one currency`,
    );
  }
}

/** Checks a product as it would be stored, normalizing its currency and price. */
function checkProduct(row: ProductRow): ProductRow {
  if (typeof row.name !== "string" || !row.name.trim()) {
    throw new BadRequestError("Invalid name: a top-up product needs a non-empty name");
  }
  if (!Number.isInteger(row.requests) || row.requests < 1 || row.requests > MAX_REQUESTS) {
    throw new BadRequestError(
      `Invalid requests '${row.requests}': must be a whole number from 1 to ${MAX_REQUESTS}`,
    );
  }
  const cur = currency(row.currency);
  return {
    ...row,
    currency: cur.code,
    price: formatMinor(parseDecimal(row.price, cur.digits, "price"), cur),
  };
}

function applyProductOperation(draft: ProductRow, op: PatchOperation): void {
  const [field, ...rest] = patchSegments(op.path);
  if (rest.length || !PRODUCT_PATHS.includes(`/${field}`)) throw unsupportedPatch(op, PRODUCT_PATHS);
  if (op.op === "remove" && field === "description") draft.description = null;
  else if (op.op !== "replace") throw unsupportedPatch(op, PRODUCT_PATHS);
  else if (field === "requests") draft.requests = patchNumber(op, { integer: true, min: 1 });
  else if (field === "description") draft.description = op.value ?? null;
  else (draft as Record<string, unknown>)[field!] = patchValue(op);
}

function toProduct(row: ProductRow): TopUpProduct {
  return {
    id: row.id,
    name: row.name,
    ...(row.description !== null ? { description: row.description } : {}),
    requests: Number(row.requests),
    currency: row.currency,
    price: row.price,
    createdDate: Math.floor(row.created_at / 1000),
    lastUpdatedDate: Math.floor(row.updated_at / 1000),
  };
}

function toTopUp(row: TopUpRow): TopUp {
  return {
    id: row.id,
    productId: row.product_id,
    productName: row.product_name,
    tenantId: row.tenant_id,
    keyId: row.key_id,
    usagePlanId: row.usage_plan_id,
    period: row.period,
    quantity: Number(row.quantity),
    requests: Number(row.requests),
    currency: row.currency,
    unitPrice: row.unit_price,
    amount: row.amount,
    status: row.status as TopUp["status"],
    createdDate: Math.floor(row.created_at / 1000),
  };
}
