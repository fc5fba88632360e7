import type { Kysely } from "kysely";

/**
 * Indexes for reading usage at size (bench/metering.ts: 10,000 keys over 90 days):
 * - `usage_counts (usage_plan_id, key_id, day)`: get-usage of some keys of a plan, and the list
 *   of keys with usage on a plan, read from the index alone;
 * - `usage_counts (tenant_id, day)`: a tenant's month for its invoice;
 * - `usage_stats (key_id, day)`: a key's answers by status (the portal's usage page).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex("usage_counts_plan_key_day")
    .on("usage_counts")
    .columns(["usage_plan_id", "key_id", "day"])
    .execute();
  await db.schema
    .createIndex("usage_counts_tenant_day")
    .on("usage_counts")
    .columns(["tenant_id", "day"])
    .execute();
  await db.schema.createIndex("usage_stats_key_day").on("usage_stats").columns(["key_id", "day"]).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("usage_stats_key_day").execute();
  await db.schema.dropIndex("usage_counts_tenant_day").execute();
  await db.schema.dropIndex("usage_counts_plan_key_day").execute();
}
