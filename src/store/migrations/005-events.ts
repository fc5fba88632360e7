import type { Kysely } from "kysely";

/**
 * The event bus (EventBridge's resources, per account) and its durable queue:
 * - `event_accounts`: the 12-digit account id of each tenant; `tenant_credentials`: the SigV4
 *   key pairs (secret sealed) and bearer tokens (hashed) a tenant signs admin requests with.
 * - `event_config`: a revision bumped by every change to buses, rules, targets or archives, so
 *   each process rebuilds its in-memory rule matchers when another one changed them.
 * - `event_buses`, `event_rules`, `event_targets`, `event_sources` (partner event sources),
 *   `event_archives`, `event_replays`, `event_connections`, `event_api_destinations`.
 * - `events`: every accepted event; `event_deliveries`: one row per event and target, the queue
 *   the delivery workers claim from (`next_attempt_at` doubles as the claim lease);
 *   `event_delivery_attempts`: the delivery log; `event_archive_events`: archived copies.
 * Resource rows are keyed by `account` first: every lookup is scoped to one account.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("event_accounts")
    .addColumn("tenant_id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull().unique())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("tenant_credentials")
    .addColumn("access_key_id", "text", (c) => c.primaryKey())
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("secret_sealed", "text", (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("description", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("tenant_credentials_tenant")
    .on("tenant_credentials")
    .column("tenant_id")
    .execute();

  await db.schema
    .createTable("event_config")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("revision", "bigint", (c) => c.notNull())
    .execute();
  await db
    .insertInto("event_config" as never)
    .values({ id: 1, revision: 0 } as never)
    .execute();

  await db.schema
    .createTable("event_buses")
    .addColumn("account", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("event_source_name", "text")
    .addColumn("attributes", "text", (c) => c.notNull())
    .addColumn("tags", "text", (c) => c.notNull())
    // The event_config revision of the bus's last change (its rules, targets or archives).
    .addColumn("revision", "bigint", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("event_buses_pk", ["account", "name"])
    .execute();

  await db.schema
    .createTable("event_rules")
    .addColumn("account", "text", (c) => c.notNull())
    .addColumn("bus_name", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("event_pattern", "text")
    .addColumn("schedule_expression", "text")
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("role_arn", "text")
    .addColumn("managed_by", "text")
    .addColumn("tags", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("event_rules_pk", ["account", "bus_name", "name"])
    .execute();

  await db.schema
    .createTable("event_targets")
    .addColumn("account", "text", (c) => c.notNull())
    .addColumn("bus_name", "text", (c) => c.notNull())
    .addColumn("rule_name", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("arn", "text", (c) => c.notNull())
    .addColumn("definition", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("event_targets_pk", ["account", "bus_name", "rule_name", "id"])
    .execute();

  await db.schema
    .createTable("event_sources")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("account", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("event_sources_account")
    .on("event_sources")
    .columns(["account", "name"])
    .execute();

  await db.schema
    .createTable("events")
    // The event's id, or for a copy of it (replayed, forwarded to another bus) a key of its own.
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account", "text", (c) => c.notNull())
    .addColumn("bus_name", "text", (c) => c.notNull())
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("received_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("events_received").on("events").column("received_at").execute();

  await db.schema
    .createTable("event_deliveries")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account", "text", (c) => c.notNull())
    .addColumn("bus_name", "text", (c) => c.notNull())
    .addColumn("rule_name", "text", (c) => c.notNull())
    .addColumn("target_id", "text", (c) => c.notNull())
    .addColumn("event_id", "text", (c) => c.notNull())
    // The queue a delivery waits in: its API destination, bus or target (rate limits, isolation).
    .addColumn("destination", "text", (c) => c.notNull())
    // PENDING (waiting, in flight or retrying), DELIVERED, FAILED (a dead letter).
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull())
    // When the row is next due; a claim moves it a lease ahead, so a crashed worker's rows come back.
    .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
    .addColumn("claim", "text")
    // Start of the event's age for MaximumEventAgeInSeconds (a redrive restarts it).
    .addColumn("enqueued_at", "bigint", (c) => c.notNull())
    .addColumn("last_status", "integer")
    .addColumn("last_error", "text")
    .addColumn("replay_name", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("event_deliveries_due")
    .on("event_deliveries")
    .columns(["status", "next_attempt_at"])
    .execute();
  await db.schema
    .createIndex("event_deliveries_account")
    .on("event_deliveries")
    .columns(["account", "created_at"])
    .execute();
  await db.schema
    .createIndex("event_deliveries_target")
    .on("event_deliveries")
    .columns(["account", "bus_name", "rule_name", "target_id", "status"])
    .execute();
  await db.schema.createIndex("event_deliveries_event").on("event_deliveries").column("event_id").execute();

  await db.schema
    .createTable("event_delivery_attempts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("delivery_id", "text", (c) => c.notNull())
    .addColumn("account", "text", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    // SUCCEEDED, RETRYING (a retryable failure) or FAILED (the delivery became a dead letter).
    .addColumn("outcome", "text", (c) => c.notNull())
    .addColumn("status_code", "integer")
    .addColumn("latency_ms", "integer", (c) => c.notNull())
    .addColumn("error", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("event_delivery_attempts_delivery")
    .on("event_delivery_attempts")
    .columns(["delivery_id", "attempt"])
    .execute();
  await db.schema
    .createIndex("event_delivery_attempts_account")
    .on("event_delivery_attempts")
    .columns(["account", "created_at"])
    .execute();

  await db.schema
    .createTable("event_archives")
    .addColumn("account", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("bus_name", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("event_pattern", "text")
    .addColumn("retention_days", "integer", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("event_archives_pk", ["account", "name"])
    .execute();

  await db.schema
    .createTable("event_archive_events")
    .addColumn("account", "text", (c) => c.notNull())
    .addColumn("archive_name", "text", (c) => c.notNull())
    .addColumn("event_id", "text", (c) => c.notNull())
    // The event's own `time` (what replay windows select on), epoch ms.
    .addColumn("event_time", "bigint", (c) => c.notNull())
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("size_bytes", "integer", (c) => c.notNull())
    .addColumn("archived_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("event_archive_events_pk", ["account", "archive_name", "event_id"])
    .execute();
  await db.schema
    .createIndex("event_archive_events_time")
    .on("event_archive_events")
    .columns(["account", "archive_name", "event_time", "event_id"])
    .execute();

  await db.schema
    .createTable("event_replays")
    .addColumn("account", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("archive_name", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("destination", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("state_reason", "text")
    .addColumn("event_start", "bigint", (c) => c.notNull())
    .addColumn("event_end", "bigint", (c) => c.notNull())
    // Progress: the last replayed archive row (event time, then id), so a restart resumes there.
    .addColumn("cursor_time", "bigint")
    .addColumn("cursor_id", "text")
    .addColumn("last_replayed_at", "bigint")
    .addColumn("started_at", "bigint", (c) => c.notNull())
    .addColumn("ended_at", "bigint")
    .addPrimaryKeyConstraint("event_replays_pk", ["account", "name"])
    .execute();
  await db.schema.createIndex("event_replays_state").on("event_replays").column("state").execute();

  await db.schema
    .createTable("event_connections")
    .addColumn("account", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("uuid", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("authorization_type", "text", (c) => c.notNull())
    // AuthParameters without secret values (what Describe returns).
    .addColumn("auth_parameters", "text", (c) => c.notNull())
    // The secret values (passwords, client secrets, API keys, secret parameters), sealed.
    .addColumn("secrets_sealed", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("state_reason", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("authorized_at", "bigint")
    .addPrimaryKeyConstraint("event_connections_pk", ["account", "name"])
    .execute();

  await db.schema
    .createTable("event_api_destinations")
    .addColumn("account", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("uuid", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("connection_name", "text")
    .addColumn("endpoint", "text", (c) => c.notNull())
    .addColumn("http_method", "text", (c) => c.notNull())
    .addColumn("rate_limit", "integer", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    // Standard Webhooks signing secrets, newest first: `[{ sealed, createdAt, expiresAt }]`.
    .addColumn("signing_secrets", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("event_api_destinations_pk", ["account", "name"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    "event_api_destinations",
    "event_connections",
    "event_replays",
    "event_archive_events",
    "event_archives",
    "event_delivery_attempts",
    "event_deliveries",
    "events",
    "event_sources",
    "event_targets",
    "event_rules",
    "event_buses",
    "event_config",
    "tenant_credentials",
    "event_accounts",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
