import type { Kysely } from "kysely";

/**
 * The usage ledger. `usage_counts` holds admitted requests per UTC day, key, plan and route:
 * it is written before a request is forwarded, so it is what quotas and get-usage rest on.
 * `usage_stats` holds what is known only after the answer (status, latency, bytes).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("usage_counts")
    .addColumn("day", "text", (c) => c.notNull())
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("usage_plan_id", "text", (c) => c.notNull())
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("rest_api_id", "text", (c) => c.notNull())
    .addColumn("stage", "text", (c) => c.notNull())
    .addColumn("resource_path", "text", (c) => c.notNull())
    .addColumn("http_method", "text", (c) => c.notNull())
    .addColumn("requests", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("usage_counts_pk", [
      "day",
      "key_id",
      "usage_plan_id",
      "rest_api_id",
      "stage",
      "resource_path",
      "http_method",
    ])
    .execute();
  await db.schema
    .createIndex("usage_counts_plan_day")
    .on("usage_counts")
    .columns(["usage_plan_id", "day"])
    .execute();

  await db.schema
    .createTable("usage_stats")
    .addColumn("day", "text", (c) => c.notNull())
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("rest_api_id", "text", (c) => c.notNull())
    .addColumn("stage", "text", (c) => c.notNull())
    .addColumn("resource_path", "text", (c) => c.notNull())
    .addColumn("http_method", "text", (c) => c.notNull())
    .addColumn("status", "integer", (c) => c.notNull())
    .addColumn("requests", "bigint", (c) => c.notNull())
    .addColumn("latency_ms_sum", "bigint", (c) => c.notNull())
    .addColumn("bytes_in", "bigint", (c) => c.notNull())
    .addColumn("bytes_out", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("usage_stats_pk", [
      "day",
      "key_id",
      "rest_api_id",
      "stage",
      "resource_path",
      "http_method",
      "status",
    ])
    .execute();

  // Journal segments whose counts are in usage_counts (see src/metering/journal.ts).
  await db.schema
    .createTable("usage_journal_applied")
    .addColumn("segment", "text", (c) => c.primaryKey())
    .addColumn("applied_at", "bigint", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("usage_journal_applied").execute();
  await db.schema.dropTable("usage_stats").execute();
  await db.schema.dropTable("usage_counts").execute();
}
