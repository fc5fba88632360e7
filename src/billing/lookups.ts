import { NotFoundError } from "../core/errors.js";
import { fromJson, type Tx } from "../store/index.js";

/**
 * Row lookups. Billing depends on core and store only, so it reads tenants, plans, keys and the
 * ledger straight from their tables, with the same not-found messages as their own parts.
 */

/** The tenant's id and name, or a NotFoundException. */
export async function tenantRow(db: Tx, id: string): Promise<{ id: string; name: string }> {
  const row = await db.selectFrom("tenants").select(["id", "name"]).where("id", "=", id).executeTakeFirst();
  if (!row) throw new NotFoundError(`Invalid tenant identifier specified: ${id}`);
  return row;
}

/** A usage plan's id, name and quota, or a NotFoundException. */
export async function planRow(db: Tx, id: string): Promise<{ id: string; name: string; hasQuota: boolean }> {
  const row = await db
    .selectFrom("usage_plans")
    .select(["id", "name", "quota"])
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`Invalid Usage Plan ID specified: ${id}`);
  return { id: row.id, name: row.name, hasQuota: fromJson<unknown>(row.quota, null) !== null };
}

/** A plan's price row (billing's own table), if the plan has a price. */
export function findPriceRow(db: Tx, planId: string) {
  return db.selectFrom("plan_prices").selectAll().where("usage_plan_id", "=", planId).executeTakeFirst();
}

/** Names of the plans in `ids` that still exist. */
export async function planNames(db: Tx, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom("usage_plans").select(["id", "name"]).where("id", "in", ids).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** An API key's id and owner (`customerId`), or a NotFoundException. */
export async function keyRow(db: Tx, id: string): Promise<{ id: string; tenantId: string | null }> {
  const row = await db
    .selectFrom("api_keys")
    .select(["id", "customer_id"])
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`Invalid API Key identifier specified: ${id}`);
  return { id: row.id, tenantId: row.customer_id };
}

/** True when the key is on the plan. */
export async function keyOnPlan(db: Tx, planId: string, keyId: string): Promise<boolean> {
  const row = await db
    .selectFrom("usage_plan_keys")
    .select("key_id")
    .where("usage_plan_id", "=", planId)
    .where("key_id", "=", keyId)
    .executeTakeFirst();
  return row !== undefined;
}

/** Requests the ledger holds for a tenant per plan, over days `first` to `last` inclusive. */
export async function ledgerTotals(
  db: Tx,
  tenantId: string,
  first: string,
  last: string,
): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom("usage_counts")
    .select(["usage_plan_id", (eb) => eb.fn.sum<number>("requests").as("requests")])
    .where("tenant_id", "=", tenantId)
    .where("day", ">=", first)
    .where("day", "<=", last)
    .groupBy("usage_plan_id")
    .execute();
  return new Map(rows.map((r) => [r.usage_plan_id, Number(r.requests)]));
}
