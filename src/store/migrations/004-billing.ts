import { type Kysely, sql } from "kysely";

/**
 * Billing:
 * - `plan_prices`: the price of a usage plan (one row per plan, gone with the plan).
 * - `topup_products` and `topups`: products that add requests to a quota period, and purchases.
 * - `subscriptions`: which plan a tenant is billed for from which day (history kept).
 * - `invoices`: one document per tenant and calendar month; at most one that is not void.
 * Money is text (exact decimal strings), never a floating-point column.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("plan_prices")
    .addColumn("usage_plan_id", "text", (c) =>
      c.primaryKey().references("usage_plans.id").onDelete("cascade"),
    )
    .addColumn("currency", "text", (c) => c.notNull())
    .addColumn("price", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("topup_products")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("requests", "bigint", (c) => c.notNull())
    .addColumn("currency", "text", (c) => c.notNull())
    .addColumn("price", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();

  // Purchases keep copies of what they were bought at: products, keys and plans may change later.
  await db.schema
    .createTable("topups")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("product_id", "text", (c) => c.notNull())
    .addColumn("product_name", "text", (c) => c.notNull())
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("usage_plan_id", "text", (c) => c.notNull())
    .addColumn("period", "text", (c) => c.notNull())
    .addColumn("quantity", "bigint", (c) => c.notNull())
    .addColumn("requests", "bigint", (c) => c.notNull())
    .addColumn("currency", "text", (c) => c.notNull())
    .addColumn("unit_price", "text", (c) => c.notNull())
    .addColumn("amount", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("topups_tenant_period").on("topups").columns(["tenant_id", "period"]).execute();

  await db.schema
    .createTable("subscriptions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("usage_plan_id", "text", (c) => c.notNull())
    .addColumn("start_day", "text", (c) => c.notNull())
    .addColumn("end_day", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addUniqueConstraint("subscriptions_tenant_start", ["tenant_id", "start_day"])
    .execute();

  // No foreign key to tenants: invoices outlive the tenants they bill.
  await db.schema
    .createTable("invoices")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("period", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("currency", "text", (c) => c.notNull())
    .addColumn("total", "text", (c) => c.notNull())
    .addColumn("document", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("finalized_at", "bigint")
    .addColumn("voided_at", "bigint")
    .execute();
  // One live invoice per tenant and month, even under concurrent generation; void ones pile up.
  await db.schema
    .createIndex("invoices_live_period")
    .on("invoices")
    .columns(["tenant_id", "period"])
    .unique()
    .where(sql.ref("status"), "<>", "VOID")
    .execute();
  await db.schema.createIndex("invoices_period").on("invoices").columns(["period", "tenant_id"]).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ["invoices", "subscriptions", "topups", "topup_products", "plan_prices"]) {
    await db.schema.dropTable(table).execute();
  }
}
