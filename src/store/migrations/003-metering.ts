import type { Kysely } from "kysely";

/**
 * Metering beyond the raw ledger:
 * - `quota_adjustments`: update-usage and top-ups. Each row shifts a key's effective used count
 *   for one quota period from its UTC day on: effective used = ledger used + sum(delta).
 * - `usage_alerts`: thresholds (percent of quota) per plan, or per key on a plan.
 * - `usage_alert_firings`: which threshold fired for which key and period (at most once each).
 * - `event_outbox`: events for the event bus, written in the transaction that decides them and
 *   picked up later by whatever publishes them (`published` 0 until then).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("quota_adjustments")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("usage_plan_id", "text", (c) => c.notNull())
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("period_start", "bigint", (c) => c.notNull())
    .addColumn("day", "text", (c) => c.notNull())
    .addColumn("delta", "bigint", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("remaining", "bigint", (c) => c.notNull())
    .addColumn("reason", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("quota_adjustments_plan_key")
    .on("quota_adjustments")
    .columns(["usage_plan_id", "key_id", "period_start"])
    .execute();

  await db.schema
    .createTable("usage_alerts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("usage_plan_id", "text", (c) => c.notNull().references("usage_plans.id").onDelete("cascade"))
    // "" for the plan-wide rule: a unique constraint then allows one rule per plan and per key.
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("thresholds", "text", (c) => c.notNull())
    .addColumn("enabled", "integer", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addUniqueConstraint("usage_alerts_plan_key", ["usage_plan_id", "key_id"])
    .execute();

  await db.schema
    .createTable("usage_alert_firings")
    .addColumn("usage_plan_id", "text", (c) => c.notNull())
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("period_start", "bigint", (c) => c.notNull())
    .addColumn("threshold", "integer", (c) => c.notNull())
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("event_id", "text", (c) => c.notNull())
    .addColumn("fired_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("usage_alert_firings_pk", [
      "usage_plan_id",
      "key_id",
      "period_start",
      "threshold",
    ])
    .execute();

  await db.schema
    .createTable("event_outbox")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("detail_type", "text", (c) => c.notNull())
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("published", "integer", (c) => c.notNull())
    .addColumn("published_at", "bigint")
    .execute();
  await db.schema
    .createIndex("event_outbox_unpublished")
    .on("event_outbox")
    .columns(["published", "created_at"])
    .execute();
  await db.schema
    .createIndex("event_outbox_type_time")
    .on("event_outbox")
    .columns(["detail_type", "created_at"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ["event_outbox", "usage_alert_firings", "usage_alerts", "quota_adjustments"]) {
    await db.schema.dropTable(table).execute();
  }
}
